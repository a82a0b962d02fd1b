package io.baton.admin.failover;

import static io.baton.admin.failover.FailoverScenarios.assertExactlyOneWritable;
import static io.baton.admin.failover.FailoverScenarios.awaitRow;
import static io.baton.admin.failover.FailoverScenarios.exec;
import static io.baton.admin.failover.FailoverScenarios.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.baton.dialect.Dialect;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.TopologyFile;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import org.junit.jupiter.api.Test;

/**
 * A crash failover that stops after "promote the candidate" (1 source + 2 replicas): the fault is
 * injected at each later step in turn, one kill round each, on one topology (the killed source is
 * restarted and rejoined between rounds). After every round the promoted server must be routed with
 * the gate open as the attempt ends (writes resume: nothing waits for a monitor round or for
 * failover.blockSeconds), every acknowledged row must be on it, and the follower the attempt left
 * behind must be repointed by the background retry. Last, Baton is stopped in the middle of a
 * failover: the failover must still complete (before the fix, closing the engine interrupted the
 * failover thread and stopped the attempt half-way, at the same place as the reported ones).
 */
abstract class PartialFailoverScenarios {

    /**
     * INTERRUPT: the failover thread is interrupted (what stopped the reported failovers); THROW: the step
     * fails; KILL_FOLLOWER: a replica to repoint dies; STOP_BATON: Baton is stopped (engine closed, as the
     * shutdown hook does) while the failover runs, which must not cut it short.
     */
    enum Fault { INTERRUPT, THROW, KILL_FOLLOWER, STOP_BATON }

    record Round(String step, Fault fault) {
    }

    static final List<Round> ROUNDS = List.of(
            new Round("repoint the replicas", Fault.INTERRUPT),
            new Round("repoint the replicas", Fault.KILL_FOLLOWER),
            new Round("route to the new source", Fault.THROW),
            new Round("open the gate", Fault.THROW),
            new Round("post-hook", Fault.THROW),
            new Round("repoint the replicas", Fault.STOP_BATON)); // last: the engine is closed after it

    @Test
    void aFailoverStoppedAfterThePromotionRoutesToTheNewSourceAndRetriesWhatItMissed(SandboxTopology t) throws Exception {
        t.resetData();
        exec(t, t.currentSource().name(), "CREATE TABLE app.t (id BIGINT PRIMARY KEY, v VARCHAR(20))");
        t.awaitReplication(30);
        long nextId = 1;
        for (Round round : ROUNDS) {
            nextId = round(t, round, nextId);
        }
    }

    private long round(SandboxTopology t, Round round, long firstId) throws Exception {
        String source = t.currentSource().name();
        String what = "[" + round.step() + ", " + round.fault() + "] ";
        try (EngineUnderTest u = new EngineUnderTest(t, source, c -> { })) {
            String[] follower = new String[1];
            boolean[] closeWaited = new boolean[1];
            u.engine.injectFault((r, step) -> {
                if (r.kind() != FailoverReport.Kind.FAILOVER || !step.equals(round.step())) {
                    return;
                }
                switch (round.fault()) {
                    case INTERRUPT -> Thread.currentThread().interrupt(); // what stopped the reported failover
                    case THROW -> throw new StepFailedException("injected fault");
                    case KILL_FOLLOWER -> {
                        follower[0] = others(t, source, r.candidate()).get(0);
                        t.kill(follower[0]);
                    }
                    case STOP_BATON -> {
                        Thread stopper = new Thread(u.engine::close, "test-stops-baton");
                        stopper.start();
                        Thread.sleep(200); // close() has begun and waits for this procedure
                        closeWaited[0] = stopper.isAlive(); // asserted below (an Error here would not end the step)
                    }
                }
            });
            u.awaitSeen(source, 10_000);
            TopologyFile.Server src = t.server(source);
            WriteLoad load = new WriteLoad(src.host(), src.port(), "app", t.user("app").password(), firstId, 1_000_000);
            load.awaitAcked(100, 20_000);
            load.close();
            assertTrue(load.acked.size() >= 100, what + "the load wrote: " + load.error);
            t.awaitReplication(30);
            t.kill(source);

            FailoverReport r = u.awaitReports(1, 60_000).get(0);
            System.out.println(what + "\n" + r.describe());
            String promoted = r.newSource();
            assertNotNull(promoted, what + r.describe());
            // Routed with the gate open as the attempt ends: writes resume on the promoted server at once.
            assertTrue(r.isRouted(), what + r.describe());
            assertTrue(u.routing.isGateOpen(), what + "gate open; calls " + u.routing.calls);
            assertEquals(promoted, u.routing.source().name(), what + "routed to the promoted server");
            assertExactlyOneWritable(t, promoted);
            if (round.fault() == Fault.STOP_BATON) {
                assertTrue(closeWaited[0], what + "close() waited for the running failover");
            }
            if (round.fault() == Fault.KILL_FOLLOWER || round.fault() == Fault.STOP_BATON) {
                assertTrue(r.succeeded(), what + r.describe()); // a replica that fails is left out, not a failed step
            } else {
                assertFalse(r.succeeded(), what + "the injected fault stops the attempt");
                assertEquals(round.step(), r.stoppedAt());
                assertNotNull(r.recovery(), what + "the report says how routing was finished");
                assertTrue(r.failure().contains(promoted + " was promoted and is the writable source"), r.failure());
            }
            NavigableSet<Long> onNew = ids(t, promoted);
            for (long id : load.acked) {
                assertTrue(onNew.contains(id), what + "acknowledged row " + id + " is on " + promoted);
            }
            // No failover.blockSeconds wait and no second failover: the engine did one procedure for the crash.
            assertEquals(1, u.engine.reports().all().stream().filter(x -> x.kind() == FailoverReport.Kind.FAILOVER).count());

            String other = others(t, source, promoted).get(0);
            if (round.fault() == Fault.KILL_FOLLOWER) {
                assertTrue(r.retries().stream().anyMatch(x -> x.startsWith("repoint " + other + " at " + promoted)),
                        what + "the report names the retry: " + r.retries());
                assertEquals(List.of(other), u.engine.pendingRepoints());
                // Rows written on the new source while the follower is down: the retry must bring it all of them.
                for (long id = firstId + 400_000; id < firstId + 400_050; id++) {
                    exec(t, promoted, "INSERT INTO app.t (id, v) VALUES (" + id + ", 'while down')");
                }
                t.start(other); // it comes back pointing at the dead source; the retry repoints it
            }
            // The follower left behind (or repointed by the attempt) replicates from the promoted server.
            awaitReplicaOf(t, other, promoted, 60_000);
            long marker = firstId + 500_000;
            exec(t, promoted, "INSERT INTO app.t (id, v) VALUES (" + marker + ", 'marker')");
            awaitRow(t, other, marker, 30_000);
            awaitNoRetryPending(u, 30_000);
            FailoverScenarios.awaitConverged(t, promoted, List.of(other));
            if (round.fault() == Fault.KILL_FOLLOWER) {
                assertTrue(u.engine.reports().all().stream().anyMatch(x -> x.trigger().startsWith("retry ")
                        && x.trigger().contains("repoint " + other) && x.succeeded()), what + "a retry repointed " + other);
            }
            if (round.fault() == Fault.STOP_BATON) {
                assertEquals(List.of(), r.retries(), what + "the attempt repointed everyone itself");
                return marker + 1; // the engine is closed: the topology stays as it is
            }

            // Back to three servers for the next round: the killed source restarts (fenced) and rejoins.
            t.start(source);
            FailoverScenarios.awaitReadOnly(t, source, 30_000);
            FailoverReport rejoin = u.engine.rejoin(source, false, "test: restore the topology");
            assertTrue(rejoin.succeeded(), what + rejoin.describe());
            t.awaitReplication(30);
            return marker + 1;
        }
    }

    /** The configured servers other than the given ones. */
    private static List<String> others(SandboxTopology t, String... not) {
        List<String> skip = List.of(not);
        return t.servers().stream().map(TopologyFile.Server::name).filter(n -> !skip.contains(n)).toList();
    }

    private static void awaitNoRetryPending(EngineUnderTest u, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!u.engine.pendingRepoints().isEmpty() || u.engine.busy()) {
            if (System.currentTimeMillis() > deadline) {
                fail("repoint retries still pending: " + u.engine.pendingRepoints());
            }
            Thread.sleep(20);
        }
    }

    /** Waits (bounded) until {@code name} replicates from {@code source} with both threads running. */
    static void awaitReplicaOf(SandboxTopology t, String name, String source, long timeoutMillis) throws Exception {
        Dialect d = t.dialect();
        long deadline = System.currentTimeMillis() + timeoutMillis;
        Map<String, String> st = Map.of();
        while (System.currentTimeMillis() < deadline) {
            try (Connection c = t.connectRoot(name)) {
                st = Sql.row(c, d.showReplicaStatus());
                if (!st.isEmpty() && String.valueOf(t.server(source).port()).equals(st.get(d.col(Dialect.ReplicaColumn.SOURCE_PORT)))
                        && "Yes".equals(st.get(d.col(Dialect.ReplicaColumn.IO_RUNNING)))
                        && "Yes".equals(st.get(d.col(Dialect.ReplicaColumn.SQL_RUNNING)))) {
                    return;
                }
            } catch (SQLException down) {
                // not running yet
            }
            Thread.sleep(50);
        }
        fail(name + " does not replicate from " + source + " within " + timeoutMillis + " ms: " + st);
    }
}
