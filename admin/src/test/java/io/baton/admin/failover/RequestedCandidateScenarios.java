package io.baton.admin.failover;

import static io.baton.admin.failover.CandidateDiesScenarios.writable;
import static io.baton.admin.failover.ErrantFailoverScenarios.insertRows;
import static io.baton.admin.failover.FailoverScenarios.assertExactlyOneWritable;
import static io.baton.admin.failover.FailoverScenarios.awaitConverged;
import static io.baton.admin.failover.FailoverScenarios.awaitRow;
import static io.baton.admin.failover.FailoverScenarios.exec;
import static io.baton.admin.failover.FailoverScenarios.ids;
import static io.baton.admin.failover.FailoverScenarios.stepResult;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import java.util.List;
import java.util.NavigableSet;
import org.junit.jupiter.api.Test;

/**
 * {@code failover --to X} where X is behind another replica (1 source + 2 replicas). In GTID mode X
 * first catches up from the replica that has everything (auto-position), then is promoted, and
 * nothing the other replica had is lost. In position mode that is impossible and X is refused.
 */
abstract class RequestedCandidateScenarios {

    @Test
    void aRequestedCandidateBehindAnotherReplicaCatchesUpFromItInGtidModeAndIsRefusedInPositionMode(SandboxTopology t)
            throws Exception {
        t.resetData();
        String source = t.initialSource().name();
        List<String> replicas = t.servers().stream().map(TopologyFile.Server::name).filter(n -> !n.equals(source)).toList();
        String behind = replicas.get(0);
        String ahead = replicas.get(1);
        boolean gtid = "gtid".equals(t.file().mode());
        exec(t, source, "CREATE TABLE app.t (id BIGINT PRIMARY KEY, v VARCHAR(20))");
        insertRows(t, source, 1, 10);
        t.awaitReplication(30);
        exec(t, behind, t.dialect().stopReplicaIoThread());

        // An operator's failover: the automatic one is off so that it does not run first.
        try (EngineUnderTest u = new EngineUnderTest(t, source, c -> c.failover.auto = false)) {
            u.awaitSeen(source, 10_000);
            insertRows(t, source, 11, 50);
            awaitRow(t, ahead, 50, 30_000);
            t.kill(source);

            FailoverReport r = u.engine.failover(behind, "test: failover --to " + behind);
            System.out.println("[failover --to " + behind + "]\n" + r.describe());
            String catchUp = stepResult(r, "catch up the requested candidate");
            if (!gtid) {
                assertFalse(r.succeeded());
                assertEquals("choose the candidate", r.stoppedAt());
                assertTrue(r.failure().contains("lacks transactions") && r.failure().contains(ahead), r.failure());
                assertTrue(catchUp.startsWith("not possible in position mode"), catchUp);
                assertEquals(List.of(), writable(t), "nobody promoted");
                assertEquals(List.of("closeGate"), u.routing.calls);
                return;
            }
            assertTrue(r.succeeded(), r.describe());
            assertEquals(behind, r.newSource());
            assertTrue(catchUp.contains(behind + " replicated from " + ahead), catchUp);
            assertEquals(List.of("closeGate", "switchTo " + behind, "openGate"), u.routing.calls);
            assertExactlyOneWritable(t, behind);
            NavigableSet<Long> onNew = ids(t, behind);
            for (long id = 1; id <= 50; id++) {
                assertTrue(onNew.contains(id), "row " + id + " (it was on " + ahead + ") is on the new source");
            }
            awaitConverged(t, behind, List.of(ahead));
        }
    }
}
