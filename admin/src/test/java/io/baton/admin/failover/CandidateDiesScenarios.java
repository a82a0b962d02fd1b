package io.baton.admin.failover;

import static io.baton.admin.failover.FailoverScenarios.assertExactlyOneWritable;
import static io.baton.admin.failover.FailoverScenarios.exec;
import static io.baton.admin.failover.FailoverScenarios.ids;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.TopologyFile;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.NavigableSet;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * The candidate dies in the middle of a failover (1 source + 2 replicas, one of them lagging): the
 * source is killed under write load, the automatic failover chooses the most advanced replica, and
 * that replica is killed (kill -9 by PID) as its promotion starts. The attempt must stop there and
 * say so, leave nobody writable and routing untouched with the gate closed (statements get an error
 * after gate.maxWait rather than reach a dead server), and the engine's next attempt must promote the
 * remaining replica without losing a row it had received.
 */
abstract class CandidateDiesScenarios {

    /** What the test saw as the second attempt started: the state the first one left. */
    record Between(List<String> writable, List<String> routingCalls, boolean gateOpen, String routed,
                   NavigableSet<Long> survivorIds) {
    }

    @Test
    void theCandidateDiesAsItsPromotionStartsTheAttemptStopsSafelyAndTheNextPromotesTheOtherReplica(SandboxTopology t)
            throws Exception {
        t.resetData();
        String source = t.initialSource().name();
        List<String> replicas = t.servers().stream().map(TopologyFile.Server::name).filter(n -> !n.equals(source)).toList();
        String survivor = replicas.get(1);
        exec(t, source, "CREATE TABLE app.t (id BIGINT PRIMARY KEY, v VARCHAR(20))");
        t.awaitReplication(30);

        AtomicReference<String> killed = new AtomicReference<>();
        AtomicReference<Between> between = new AtomicReference<>();
        AtomicReference<Throwable> listenerError = new AtomicReference<>();
        try (EngineUnderTest u = new EngineUnderTest(t, source, c -> { })) {
            u.engine.watchAutomatic(new FailoverReport.Listener() {
                @Override
                public void stepStarted(FailoverReport r, String step) {
                    try {
                        if (r.id() == 1 && step.equals("promote the candidate")) {
                            killed.set(r.candidate());
                            t.kill(r.candidate()); // kill -9 by PID, then wait until it is gone
                        } else if (r.id() == 2 && step.equals("pre-flight checks")) {
                            between.set(new Between(writable(t), List.copyOf(u.routing.calls), u.routing.isGateOpen(),
                                    u.routing.source().name(), ids(t, survivor)));
                        }
                    } catch (Exception | AssertionError e) {
                        listenerError.compareAndSet(null, e);
                    }
                }

                @Override
                public void stepFinished(FailoverReport r, FailoverReport.StepRecord step) {
                }
            });
            TopologyFile.Server src = t.server(source);
            WriteLoad load = new WriteLoad(src.host(), src.port(), "app", t.user("app").password(), 1, 1_000_000);
            load.awaitAcked(200, 20_000);
            // Replication is asynchronous: let the survivor have at least 200 rows before it stops receiving.
            long until = System.nanoTime() + 20_000_000_000L;
            while (ids(t, survivor).size() < 200 && System.nanoTime() < until) {
                Thread.sleep(20);
            }
            assertTrue(ids(t, survivor).size() >= 200, "the survivor received 200 rows within 20 s");
            // The survivor stops receiving: the first replica is the most advanced, chosen, and killed.
            exec(t, survivor, t.dialect().stopReplicaIoThread());
            load.awaitAcked(400, 20_000);
            // On a busy machine the other replica may still lag behind what the survivor got before it stopped:
            // it must be the most advanced when the source dies, or the test would kill the survivor instead.
            // (The survivor still applies what it received: both counts are read again each time.)
            // The assertion judges the counts the wait saw: read again, the survivor's may have grown in between.
            until = System.nanoTime() + 20_000_000_000L;
            int ahead;
            int behind;
            while (true) {
                behind = ids(t, survivor).size();
                ahead = ids(t, replicas.get(0)).size();
                if (ahead > behind + 50 || System.nanoTime() > until) {
                    break;
                }
                Thread.sleep(20);
            }
            assertTrue(ahead > behind + 50, "the first replica got past the survivor within 20 s (" + ahead + " rows vs "
                    + behind + ")");
            t.kill(source);
            load.join(10_000);
            assertFalse(load.running(), "the load stops when the source dies");

            List<FailoverReport> reports = u.awaitReports(2, 90_000);
            FailoverReport first = reports.get(0);
            FailoverReport second = reports.get(1);
            System.out.println("[candidate dies] first attempt\n" + first.describe() + "\n[candidate dies] second attempt\n"
                    + second.describe());
            assertNull(listenerError.get(), () -> "the test's step listener failed: " + listenerError.get());

            // The first attempt chose the most advanced replica, lost it, and says where and why.
            assertEquals(replicas.get(0), killed.get(), "the lagging replica is not the most advanced");
            assertEquals(killed.get(), first.candidate());
            assertFalse(first.succeeded());
            assertEquals("promote the candidate", first.stoppedAt());
            FailoverReport.StepRecord last = first.steps().get(first.steps().size() - 1);
            assertEquals("promote the candidate", last.name());
            assertFalse(last.ok());
            assertTrue(last.result().contains(killed.get() + " failed during promotion"), last.result());
            assertNull(first.newSource(), "nobody was promoted");
            assertTrue(first.failure().contains(killed.get() + " does not answer")
                    && first.failure().contains("replication restarted on " + survivor)
                    && first.failure().contains("the gate stays closed")
                    && first.failure().contains("a second attempt can start from here"), first.failure());

            // What it left: nobody writable (both the source and the candidate are dead, the survivor read-only),
            // routing untouched and the gate closed.
            Between b = between.get();
            assertNotNull(b, "the second attempt started");
            assertEquals(List.of(), b.writable(), "no server writable between the attempts");
            assertEquals(List.of("closeGate"), b.routingCalls(), "routing was never switched by the failed attempt");
            assertFalse(b.gateOpen(), "the gate stays closed while no source is routed");
            assertEquals(source, b.routed());

            // The engine's next attempt (no failover.blockSeconds: nothing was promoted) promotes the survivor.
            assertTrue(second.trigger().startsWith("automatic"), second.trigger());
            assertTrue(second.succeeded(), second.describe());
            assertEquals(survivor, second.newSource());
            assertTrue(second.leftOut().stream().anyMatch(l -> l.startsWith(killed.get() + ":")), second.leftOut().toString());
            assertEquals(List.of("closeGate", "closeGate", "switchTo " + survivor, "openGate"), u.routing.calls);
            assertTrue(u.routing.isGateOpen());
            assertExactlyOneWritable(t, survivor);

            // Every acknowledged row the survivor had received is on the new source, and no acknowledged row
            // below the newest one it has is missing (only a tail the dead servers took with them).
            NavigableSet<Long> onNew = ids(t, survivor);
            assertTrue(onNew.containsAll(b.survivorIds()), "rows the survivor had received are kept");
            assertTrue(onNew.size() >= 200, "the survivor had received at least the first 200 rows: " + onNew.size());
            for (long id : load.acked) {
                if (id <= onNew.last()) {
                    assertTrue(onNew.contains(id), "acknowledged row " + id + " is missing on the new source");
                }
            }
            assertNotEquals(source, survivor);
        }
        // Teardown (@WithSandbox) stops the servers that still run; the two killed ones are skipped.
    }

    /** The running servers that accept writes (read_only OFF). */
    static List<String> writable(SandboxTopology t) {
        List<String> out = new ArrayList<>();
        for (TopologyFile.Server s : t.servers()) {
            try (Connection c = t.connectRoot(s.name())) {
                if ("0".equals(Sql.scalar(c, "SELECT @@GLOBAL.read_only"))) {
                    out.add(s.name());
                }
            } catch (SQLException down) {
                // not running: not writable
            }
        }
        return out;
    }
}
