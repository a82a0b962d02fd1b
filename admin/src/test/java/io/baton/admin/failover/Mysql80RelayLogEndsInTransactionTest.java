package io.baton.admin.failover;

import static io.baton.admin.failover.FailoverScenarios.exec;
import static io.baton.admin.failover.FailoverScenarios.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.dialect.Dialect;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.sql.Connection;
import java.time.Duration;
import java.util.NavigableSet;
import org.junit.jupiter.api.Test;

/**
 * The source dies while it sends a large transaction: the candidate's relay log ends inside it. MySQL
 * 8.0's multi-threaded applier (replica_parallel_workers 4 by default) then makes STOP REPLICA wait 60 s
 * for the rest of the transaction, which never comes; the promotion waited behind it until its
 * connection timed out and the failover failed, holding every write (seen in a kill drill and in CI).
 * Baton bounds the STOP by failover.stopTimeout and ends the applier: the failover completes.
 *
 * <p>The replica replicates through a relay that passes the source's bytes at 1 MB/s, and Baton knows
 * the source at the relay's address (so the replica replicates from the source as Baton sees it): a
 * 16 MB transaction takes 16 s to arrive, and the source is killed 2 s into it.
 */
@WithSandbox(replicas = 1, flavor = "mysql80", mode = "gtid")
class Mysql80RelayLogEndsInTransactionTest {

    @Test
    void aPromotionWhoseRelayLogEndsInsideATransactionDoesNotWaitForTheRest(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        String replica = t.servers().stream().map(TopologyFile.Server::name).filter(n -> !n.equals(source))
                .findFirst().orElseThrow();
        TopologyFile.Server src = t.server(source);
        try (Connection r = t.connectRoot(replica)) {
            int workers = Integer.parseInt(Sql.scalar(r, "SELECT @@replica_parallel_workers"));
            assertTrue(workers > 0, "the case needs a multi-threaded applier; replica_parallel_workers = " + workers);
        }
        exec(t, source, "CREATE TABLE app.t (id BIGINT PRIMARY KEY, v LONGBLOB)");
        t.awaitReplication(30);

        try (ThrottledRelay relay = new ThrottledRelay(src.port(), 1_000_000)) {
            try (Connection r = t.connectRoot(replica)) {
                Dialect d = t.dialect();
                Sql.exec(r, d.stopReplica());
                Sql.exec(r, d.changeSource(Dialect.ChangeSource.gtid(src.host(), relay.port(),
                        t.user("replication").user(), t.user("replication").password())));
                Sql.exec(r, d.startReplica());
            }
            try (EngineUnderTest u = new EngineUnderTest(t, source, c -> {
                c.server(source).port = relay.port();
                c.failover.stopTimeout = Duration.ofSeconds(2);
            })) {
                u.awaitSeen(source, 10_000);
                for (long id = 1; id <= 20; id++) {
                    exec(t, source, "INSERT INTO app.t (id, v) VALUES (" + id + ", 'small')");
                }
                t.awaitReplication(30);
                try (Connection s = t.connectRoot(source)) {
                    Sql.exec(s, "BEGIN");
                    for (long id = 1000; id < 1032; id++) {
                        Sql.exec(s, "INSERT INTO app.t (id, v) VALUES (" + id + ", REPEAT('x', 500000))");
                    }
                    Sql.exec(s, "COMMIT");
                }
                Thread.sleep(2_000); // about 2 MB of the 16 MB transaction reached the replica
                t.kill(source);

                FailoverReport rep = u.awaitReports(1, 90_000).get(0);
                System.out.println(rep.describe());
                assertTrue(rep.succeeded(), rep.describe());
                assertEquals(replica, rep.newSource());
                assertTrue(rep.warnings().stream().anyMatch(w -> w.contains("failover.stopTimeout")),
                        "the report says the applier was ended: " + rep.warnings());
                NavigableSet<Long> onNew = ids(t, replica);
                for (long id = 1; id <= 20; id++) {
                    assertTrue(onNew.contains(id), "row " + id + " replicated before the kill is on " + replica);
                }
                assertTrue(onNew.stream().noneMatch(id -> id >= 1000), "the unfinished transaction rolled back");
                exec(t, replica, "INSERT INTO app.t (id, v) VALUES (21, 'after')");
            }
        }
    }
}
