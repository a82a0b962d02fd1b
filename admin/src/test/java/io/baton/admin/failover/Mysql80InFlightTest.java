package io.baton.admin.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.node.TestNodes;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the source with three statements in flight through Baton, each on its own session: an
 * autocommit read runs again on the new source (the client gets its answer, from there); a read inside a
 * transaction runs again after the transaction's replay on the new source (docs/replay.md), or gets ERR 1213 when
 * the transaction cannot be replayed (nothing of it committed); an autocommit write gets ERR 1317 (it may have
 * committed); a ROLLBACK gets OK. A client that logs in during the failure waits for the new source instead of
 * being refused.
 */
@WithSandbox(replicas = 1, flavor = "mysql80", mode = "gtid")
class Mysql80InFlightTest {

    private static Connection app(BatonNode n, SandboxTopology t) throws SQLException {
        TopologyFile.User u = t.user("app");
        return Sql.connect("127.0.0.1", n.proxy().port(), u.user(), u.password(), 2000);
    }

    /** Runs {@code sql} on {@code c} and returns the first column of its first row, or the error's code as "ERR n". */
    private static CompletableFuture<String> inFlight(Connection c, String sql) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                if (sql.startsWith("INSERT")) {
                    Sql.exec(c, sql);
                    return "OK";
                }
                return String.valueOf(Sql.scalar(c, sql));
            } catch (SQLException e) {
                return "ERR " + e.getErrorCode();
            }
        });
    }

    @Test
    void aReadRunsAgainATransactionIsRolledBackAWriteIsUnknown(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        BatonConfig config = TestNodes.config(t);
        try (BatonNode n = BatonNode.start(config, null, null);
             Connection read = app(n, t); Connection trx = app(n, t); Connection write = app(n, t);
             Connection rollback = app(n, t); Connection norep = app(n, t)) {
            Sql.exec(read, "CREATE TABLE app.t (id INT PRIMARY KEY, v INT)");
            Sql.exec(read, "INSERT INTO app.t VALUES (1, 0)");
            t.awaitReplication(30);
            String oldId = Sql.scalar(read, "SELECT @@server_id");
            Sql.exec(trx, "BEGIN");
            Sql.exec(trx, "UPDATE app.t SET v = 1 WHERE id = 1");
            Sql.exec(norep, "BEGIN");
            Sql.scalar(norep, "SELECT CONNECTION_ID()"); // an answer that belongs to the lost connection: no replay
            Sql.exec(rollback, "BEGIN");
            Sql.exec(rollback, "INSERT INTO app.t VALUES (3, 3)");

            CompletableFuture<String> r = inFlight(read, "SELECT CONCAT(SLEEP(2), '/', @@server_id)");
            CompletableFuture<String> u = inFlight(trx, "SELECT COUNT(*) FROM app.t WHERE id = 1 AND SLEEP(2) = 0");
            CompletableFuture<String> nr = inFlight(norep, "SELECT COUNT(*) FROM app.t WHERE SLEEP(2) = 0");
            CompletableFuture<String> w = inFlight(write, "INSERT INTO app.t SELECT 2, SLEEP(2)");
            Thread.sleep(700); // all three are running on the source
            t.pause(source); // frozen: the ROLLBACK reaches it and is never answered
            CompletableFuture<String> rb = CompletableFuture.supplyAsync(() -> {
                try {
                    Sql.exec(rollback, "ROLLBACK");
                    return "OK";
                } catch (SQLException e) {
                    return "ERR " + e.getErrorCode();
                }
            });
            Thread.sleep(300);
            t.kill(source);

            // A login in the middle of the failure (the dead source is still routed for a moment) waits for the new one.
            try (Connection late = app(n, t)) {
                assertNotEquals(oldId, Sql.scalar(late, "SELECT @@server_id"), "a login during the failover lands on the new source");
            }
            String readAnswer = r.get(30, TimeUnit.SECONDS);
            assertTrue(readAnswer.startsWith("0/"), "the read was answered, not refused: " + readAnswer);
            assertNotEquals("0/" + oldId, readAnswer, "answered by the new source");
            assertEquals("1", u.get(30, TimeUnit.SECONDS), "inside a transaction: replayed, then run again");
            assertEquals("ERR 1213", nr.get(30, TimeUnit.SECONDS), "inside a transaction not replayable: rolled back, said so");
            assertEquals("ERR 1317", w.get(30, TimeUnit.SECONDS), "an autocommit write: outcome unknown");
            assertEquals("1", Sql.scalar(trx, "SELECT v FROM app.t WHERE id = 1"), "the transaction goes on, replayed");
            Sql.exec(trx, "ROLLBACK");
            assertEquals("0", Sql.scalar(trx, "SELECT v FROM app.t WHERE id = 1"), "and ends as its client says");
            assertEquals("OK", rb.get(30, TimeUnit.SECONDS), "a ROLLBACK in flight: done with the server");
            assertEquals("0", Sql.scalar(rollback, "SELECT COUNT(*) FROM app.t WHERE id = 3"), "rolled back");
            assertEquals(1.0, n.proxy().metrics().inFlight("rolled_back_as_asked"));
            assertEquals(1.0, n.proxy().metrics().inFlight("rerun"));
            assertEquals(1.0, n.proxy().metrics().inFlight("rolled_back"));
            assertEquals(1.0, n.proxy().metrics().inFlight("replayed"));
            assertEquals(1.0, n.proxy().metrics().inFlight("unknown"));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((n.engine().busy() || n.engine().reports().latest().isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(20); // routing switches before the procedure finishes and files its report
            }
            FailoverReport rep = n.engine().reports().latest().orElseThrow();
            assertTrue(rep.inFlight().startsWith("1 read(s) answered from the new source, 1 rolled back with their"
                    + " transaction (ERR 1213), 1 ROLLBACK(s) answered OK, 1 with an unknown outcome (ERR 1317), 1 run"
                    + " again after their transaction's replay, open transactions: "), rep.describe());
            assertTrue(rep.inFlight().contains("1 not replayable (ERR 1213)"), rep.describe());
            assertTrue(rep.describe().contains("statements in flight: 1 read(s)"), rep.describe());
        }
    }
}
