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
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * kill -9 of the source with sessions inside open transactions (docs/replay.md): eight transactions that read and
 * write by key are replayed on the new source, four of them with a statement in flight at the kill that runs again
 * after the replay, and all eight commit there; the data is exactly what a run without the crash gives (nothing
 * applied twice, nothing lost). Transactions that read NOW(), read a row another session changed meanwhile, or
 * are over replay.maxBytes get ERR 1213 and leave nothing behind; a COMMIT in flight gets ERR 1317. One subclass
 * per server flavor.
 */
abstract class ReplayScenarios {
    private static final int TRANSACTIONS = 8;

    private static Connection app(BatonNode n, SandboxTopology t) throws SQLException {
        TopologyFile.User u = t.user("app");
        return Sql.connect("127.0.0.1", n.proxy().port(), u.user(), u.password(), 2000);
    }

    private static CompletableFuture<String> async(Connection c, String sql) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Sql.exec(c, sql);
                return "OK";
            } catch (SQLException e) {
                return "ERR " + e.getErrorCode();
            }
        });
    }

    /** Waits until {@code count} sessions have a statement under way at their server. */
    private static void awaitInFlight(BatonNode n, int count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (n.proxy().sessions().all().stream().filter(x -> x.phase().equals("IN_FLIGHT")).count() < count) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out waiting for " + count + " statements in flight");
            }
            Thread.sleep(10);
        }
    }

    private static String result(Connection c, String sql) {
        try {
            Sql.exec(c, sql);
            return "OK";
        } catch (SQLException e) {
            return "ERR " + e.getErrorCode();
        }
    }

    @Test
    void openTransactionsAreReplayedOnTheNewSourceWhereThatIsSafe(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        BatonConfig config = TestNodes.config(t);
        config.replay.maxBytes = 4096;
        List<Connection> tx = new ArrayList<>();
        try (BatonNode n = BatonNode.start(config, null, null);
             Connection setup = app(n, t); Connection clock = app(n, t); Connection reader = app(n, t);
             Connection big = app(n, t); Connection committer = app(n, t); Connection noAutocommit = app(n, t)) {
            Sql.exec(setup, "CREATE TABLE app.acct (id INT PRIMARY KEY, v INT NOT NULL)");
            Sql.exec(setup, "CREATE TABLE app.note (id INT PRIMARY KEY, acct INT NOT NULL, body TEXT)");
            Sql.exec(setup, "INSERT INTO app.acct VALUES (1,0),(2,0),(3,0),(4,0),(5,0),(6,0),(7,0),(8,0),"
                    + "(20,0),(30,0),(31,0),(40,0),(50,0)");
            for (int i = 1; i <= TRANSACTIONS; i++) {
                Connection c = app(n, t);
                tx.add(c);
                Sql.exec(c, "BEGIN");
                assertEquals("0", Sql.scalar(c, "SELECT v FROM app.acct WHERE id = " + i));
                Sql.exec(c, "UPDATE app.acct SET v = v + 10 WHERE id = " + i);
                Sql.exec(c, "INSERT INTO app.note VALUES (" + (100 + i) + ", " + i + ", 'before the kill, a@b.example')");
            }
            // Refused: a read of the clock; a read of a row that another session changed meanwhile; too large.
            Sql.exec(clock, "BEGIN");
            Sql.scalar(clock, "SELECT NOW(6)");
            Sql.exec(clock, "UPDATE app.acct SET v = 1 WHERE id = 20");
            Sql.exec(reader, "BEGIN");
            assertEquals("0", Sql.scalar(reader, "SELECT v FROM app.acct WHERE id = 30"));
            Sql.exec(reader, "UPDATE app.acct SET v = 1 WHERE id = 31");
            Sql.exec(setup, "UPDATE app.acct SET v = 5 WHERE id = 30"); // committed: the reader's replay reads 5
            Sql.exec(big, "BEGIN");
            Sql.exec(big, "INSERT INTO app.note VALUES (400, 40, '" + "x".repeat(5000) + "')");
            // autocommit off: no BEGIN; the replay must turn it off on the new session before the first statement.
            Sql.exec(noAutocommit, "SET autocommit = 0");
            Sql.exec(noAutocommit, "INSERT INTO app.note VALUES (600, 60, 'autocommit off')");
            Sql.exec(committer, "BEGIN");
            Sql.exec(committer, "UPDATE app.acct SET v = 1 WHERE id = 50");
            t.awaitReplication(30);

            // Four transactions have a statement running at the kill: it goes again after the replay.
            List<CompletableFuture<String>> running = new ArrayList<>();
            for (int i = 1; i <= TRANSACTIONS / 2; i++) {
                running.add(async(tx.get(i - 1), "UPDATE app.acct SET v = v + 1 WHERE id = " + i + " AND SLEEP(2) = 0"));
            }
            awaitInFlight(n, TRANSACTIONS / 2);
            t.pause(source); // frozen: the COMMIT reaches it and is never answered
            CompletableFuture<String> commit = async(committer, "COMMIT");
            // The kill comes once Baton has sent the COMMIT: a COMMIT still on its way to Baton at the kill is
            // not in flight, and rightly runs after the replay.
            awaitInFlight(n, TRANSACTIONS / 2 + 1);
            t.kill(source);

            for (CompletableFuture<String> f : running) {
                assertEquals("OK", f.get(30, TimeUnit.SECONDS), "a statement in flight inside a replayed transaction");
            }
            assertEquals("ERR 1317", commit.get(30, TimeUnit.SECONDS), "a COMMIT in flight: outcome unknown, never replayed");
            String now = n.proxy().source().name();
            assertNotEquals(source, now);
            for (int i = 1; i <= TRANSACTIONS; i++) {
                Connection c = tx.get(i - 1);
                assertEquals(i <= TRANSACTIONS / 2 ? "11" : "10", Sql.scalar(c, "SELECT v FROM app.acct WHERE id = " + i),
                        "transaction " + i + " goes on where it was, on the new source");
                Sql.exec(c, "INSERT INTO app.note VALUES (" + (200 + i) + ", " + i + ", 'after')");
                Sql.exec(c, "COMMIT");
            }
            assertEquals("OK", result(noAutocommit, "COMMIT"), "autocommit off: replayed and committed");
            assertEquals("ERR 1213", result(clock, "COMMIT"), "read the clock: not replayed");
            assertEquals("ERR 1213", result(reader, "COMMIT"), "read a row changed meanwhile: not replayed");
            assertEquals("ERR 1213", result(big, "COMMIT"), "over replay.maxBytes: not replayed");

            // The data is what a run without the crash gives: nothing twice, nothing of the refused ones.
            try (Connection check = t.connectRoot(now)) {
                for (int i = 1; i <= TRANSACTIONS; i++) {
                    assertEquals(i <= TRANSACTIONS / 2 ? "11" : "10", Sql.scalar(check, "SELECT v FROM app.acct WHERE id = " + i));
                    assertEquals("2", Sql.scalar(check, "SELECT COUNT(*) FROM app.note WHERE acct = " + i));
                }
                assertEquals("0", Sql.scalar(check, "SELECT v FROM app.acct WHERE id = 20"));
                assertEquals("5", Sql.scalar(check, "SELECT v FROM app.acct WHERE id = 30"));
                assertEquals("0", Sql.scalar(check, "SELECT v FROM app.acct WHERE id = 31"));
                assertEquals("0", Sql.scalar(check, "SELECT COUNT(*) FROM app.note WHERE acct = 40"));
                assertEquals("1", Sql.scalar(check, "SELECT COUNT(*) FROM app.note WHERE acct = 60"));
            }
            assertEquals(TRANSACTIONS + 1, (int) n.proxy().metrics().replays("replayed"));
            assertEquals(TRANSACTIONS / 2, (int) n.proxy().metrics().inFlight("replayed"));
            assertEquals(2, (int) n.proxy().metrics().replays("refused"), "the clock and the large one: not tried");
            assertEquals(1, (int) n.proxy().metrics().replays("different"), "the reader's: tried, and it differed");
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while ((n.engine().busy() || n.engine().reports().latest().isEmpty()) && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            FailoverReport rep = n.engine().reports().latest().orElseThrow();
            assertTrue(rep.inFlight() != null && rep.inFlight().contains("open transactions: 9 replayed on the new source"),
                    rep.describe());
            // Per session, as the operator reads it in the report.
            List<String> sessions = rep.sessions();
            assertEquals(TRANSACTIONS + 1, sessions.stream()
                    .filter(l -> l.endsWith("user 'app': its open transaction replayed on the new source")).count(),
                    rep.describe());
            assertEquals(TRANSACTIONS / 2, sessions.stream()
                    .filter(l -> l.endsWith("a statement in flight, run again after its transaction's replay")).count(),
                    rep.describe());
            assertEquals(1, sessions.stream()
                    .filter(l -> l.endsWith("a statement in flight with an unknown outcome (ERR 1317)")).count(),
                    rep.describe());
            assertEquals(2, sessions.stream().filter(l -> l.endsWith("its open transaction not replayable (ERR 1213)"))
                    .count(), rep.describe());
            assertTrue(rep.describe().contains("its open transaction answered differently there (ERR 1213)"),
                    rep.describe());
        } finally {
            for (Connection c : tx) {
                c.close();
            }
        }
    }
}
