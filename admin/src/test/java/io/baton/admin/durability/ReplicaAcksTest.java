package io.baton.admin.durability;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.baton.admin.topology.MariaDbGtids;
import io.baton.proxy.CommitAcks;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** What one wait asks for, and which MariaDB commits a binlog state holds. */
class ReplicaAcksTest {

    private static List<ReplicaAcks.Pending> pending(String... gtids) {
        return java.util.Arrays.stream(gtids).map(g -> new ReplicaAcks.Pending("db1", g)).toList();
    }

    @Test
    void oneWaitCoversEveryPendingCommit() {
        String u = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        var mysql = pending(u + ":7", u + ":5", u + ":6", u + ":9");
        assertEquals(u + ":5-7:9", ReplicaAcks.target(mysql, false));
        var maria = pending("0-1-17", "0-1-15", "1-2-4");
        assertEquals("0-1-17,1-2-4", ReplicaAcks.target(maria, true));
    }

    @Test
    void aBatchOfReleasedCommitsJoinsTheSetAsOne() {
        String u = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        ReleasedCommits r = new ReleasedCommits();
        r.addAll(List.of(u + ":7", u + ":5", u + ":6"));
        r.add(u + ":9");
        var nothing = io.baton.admin.topology.ServerState.unreachable("db2", "127.0.0.1", 3306, "down", 1, 1);
        assertEquals(4, r.count());
        assertEquals(u + ":5-7:9", r.missingFrom(nothing));
        // One unreadable GTID in a batch: the others still join.
        r.addAll(List.of(u + ":11", "not-a-uuid:3"));
        assertEquals(u + ":5-7:9:11", r.missingFrom(nothing));
    }

    @Test
    void aMariaDbCommitCountsOnlyWhereItsServersCommitsReached() {
        var p = pending("0-2-100", "0-2-90");
        // The new source (server 3) went on numbering past 100: the numbers match, the commit 0-2-100 is not there.
        var state = MariaDbGtids.parse("0-2-95,0-3-130");
        List<ReplicaAcks.Pending> has = ReplicaAcks.applied(p, state);
        assertEquals(1, has.size());
        assertEquals(p.get(1), has.get(0));
        assertEquals(2, ReplicaAcks.applied(p, MariaDbGtids.parse("0-2-100")).size());
    }

    @Test
    void aClosedWaiterAnswersUnknownAtOnce() throws Exception {
        io.baton.admin.config.BatonConfig c = new io.baton.admin.config.BatonConfig();
        ReplicaAcks acks = new ReplicaAcks(c);
        acks.close();
        CompletableFuture<CommitAcks.Outcome> f = acks.acknowledged("db1", "0-1-1");
        assertEquals(CommitAcks.Outcome.UNKNOWN, f.getNow(null));
    }

    /** durability.timeout 200 ms (300 ms with a failover to sit through), onTimeout async, no servers to ask. */
    private static io.baton.admin.config.BatonConfig asyncFallback(long timeoutMillis) {
        io.baton.admin.config.BatonConfig c = new io.baton.admin.config.BatonConfig();
        c.durability.timeout = java.time.Duration.ofMillis(timeoutMillis);
        c.durability.onTimeout = "async";
        return c;
    }

    @Test
    void aCommitWhoseGtidCannotBeReadIsDecidedAtOnceAndWaitsForNothing() throws Exception {
        // Held, it would join the replicas' next wait and spoil its question for every commit in it, and its own OK
        // would wait the whole durability.timeout for an answer no server can give.
        String u = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        for (String onTimeout : List.of("async", "hold")) {
            io.baton.admin.config.BatonConfig c = asyncFallback(60_000);
            c.durability.onTimeout = onTimeout;
            try (ReplicaAcks acks = new ReplicaAcks(c).routedBy(() -> "db1").start()) {
                List<String> bad = List.of("not-a-gtid", u + ":x", u.substring(1) + ":3", "0-1", "0-1-x", "");
                for (String g : bad) {
                    assertEquals(onTimeout.equals("async") ? CommitAcks.Outcome.RELEASED_UNACKNOWLEDGED
                            : CommitAcks.Outcome.UNKNOWN, acks.acknowledged("db1", g).getNow(null), "'" + g + "'");
                }
                assertEquals(onTimeout.equals("async") ? bad.size() : 0, acks.fallbacks(), onTimeout);
                assertEquals(onTimeout.equals("async"), acks.degraded(), onTimeout);
                assertEquals(onTimeout.equals("async") ? 0 : bad.size(), acks.unknownOutcomes(), onTimeout);
                assertEquals(0, acks.released().count());
                // A readable one waits for a replica (there is none here, and the timeout is a minute away).
                assertEquals(null, acks.acknowledged("db1", u + ":7").getNow(null));
                assertEquals(null, acks.acknowledged("db1", "0-1-7").getNow(null));
            }
        }
        // A failover from where it was made is under way: not released, whatever onTimeout says.
        try (ReplicaAcks acks = new ReplicaAcks(asyncFallback(60_000)).routedBy(() -> "db1").start()) {
            acks.released().fence("db1");
            assertEquals(CommitAcks.Outcome.UNKNOWN, acks.acknowledged("db1", "garbage").getNow(null));
        }
    }

    @Test
    void aNodesOwnFenceAndTheClustersAreApart() {
        ReleasedCommits r = new ReleasedCommits();
        r.fence("db1"); // this node runs the failover
        r.fenceRecorded("db1"); // and applied the record that closed the gate for it
        r.fenceRecorded(null); // RESUME: the record no longer names it
        assertEquals("db1", r.fencedOrigin(), "the node's own procedure still holds it (promoted, not routed)");
        r.unfence();
        assertEquals(null, r.fencedOrigin());
        r.fenceRecorded("db2"); // another node's failover, as the record says
        r.unfence(); // this node's own procedure (a rejoin, say) ends
        assertEquals("db2", r.fencedOrigin(), "the record's fence is not the engine's to lift");
        r.fenceRecorded(null);
        assertEquals(null, r.fencedOrigin());
    }

    @Test
    void theFallbacksOkGoesOnlyWhileBatonRoutesWhereTheCommitWasMade() throws Exception {
        // onTimeout async releases an unacknowledged OK after durability.timeout; not so for a commit made on a source
        // Baton no longer routes to (a failover chose a server that may lack it): that one gets "outcome unknown".
        for (String routed : List.of("db1", "db2")) {
            boolean stays = routed.equals("db1");
            try (ReplicaAcks acks = new ReplicaAcks(asyncFallback(200)).routedBy(() -> routed).start()) {
                CompletableFuture<CommitAcks.Outcome> f = acks.acknowledged("db1", "3e11fa47-71ca-11e1-9e33-c80aa9429562:7");
                assertEquals(stays ? CommitAcks.Outcome.RELEASED_UNACKNOWLEDGED : CommitAcks.Outcome.UNKNOWN,
                        f.get(5, java.util.concurrent.TimeUnit.SECONDS), "routed to " + routed);
                assertEquals(stays ? 1 : 0, acks.fallbacks());
                assertEquals(stays ? 1 : 0, acks.released().count());
            }
        }
    }

    @Test
    void whatEveryPromotableServerExecutedIsForgotten() {
        String u = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        ReleasedCommits r = new ReleasedCommits();
        List<String> odd = new java.util.ArrayList<>();
        for (int i = 1; i < 100; i += 2) {
            odd.add(u + ":" + i); // interleaved with commits released elsewhere: one interval each
        }
        r.addAll(odd);
        assertEquals(50, r.intervals());
        r.forgetHeldByAll(List.of(io.baton.admin.topology.GtidSet.parse(u + ":1-80"),
                io.baton.admin.topology.GtidSet.parse(u + ":1-60:62-90")));
        var nothing = io.baton.admin.topology.ServerState.unreachable("db2", "127.0.0.1", 3306, "down", 1, 1);
        // 61 is missing on the second server; 81..99 on the first: still checked.
        assertEquals(u + ":61:81:83:85:87:89:91:93:95:97:99", r.missingFrom(nothing));
        assertEquals(50, r.count(), "forgotten, still counted as checked");
    }

    /**
     * While a failover from the commit's source is under way, a replica's word does not release its OK (the failover
     * may leave that replica out); once routed, only the new source having it does.
     */
    @Test
    void aFailoverUnderWayHoldsOksUntilTheNewSourceHasTheCommit() throws Exception {
        io.baton.admin.config.BatonConfig c = asyncFallback(300);
        java.util.concurrent.atomic.AtomicReference<String> routed = new java.util.concurrent.atomic.AtomicReference<>("db1");
        String u = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        try (ReplicaAcks acks = new ReplicaAcks(c).routedBy(routed::get).start()) {
            CompletableFuture<CommitAcks.Outcome> onNew = acks.acknowledged("db1", u + ":7");
            CompletableFuture<CommitAcks.Outcome> onLeftOut = acks.acknowledged("db1", u + ":8");
            List<ReplicaAcks.Pending> both = acks.pendingNow();
            acks.released().fence("db1"); // the failover closed the gate
            acks.acked("db3", List.of(both.get(1))); // db3 has :8, and will be left out
            acks.acked("db2", List.of(both.get(0))); // db2 has :7, and will be promoted
            Thread.sleep(500); // past durability.timeout: no fallback while fenced either
            assertEquals(null, onNew.getNow(null), "no OK while the failover is under way");
            assertEquals(null, onLeftOut.getNow(null), "no OK while the failover is under way");
            routed.set("db2"); // routed to db2; the procedure goes on (opens the gate, a post-hook...)
            assertEquals(CommitAcks.Outcome.ACKNOWLEDGED, onNew.get(5, java.util.concurrent.TimeUnit.SECONDS),
                    "the new source has it: its OK goes though the fence is still up");
            assertEquals(CommitAcks.Outcome.UNKNOWN, onLeftOut.get(5, java.util.concurrent.TimeUnit.SECONDS),
                    "only a replica left out had it");
            acks.released().unfence(); // the procedure ended
            assertEquals(u + ":7", ((ReleasedCommits) acks.released()).missingFrom(
                    io.baton.admin.topology.ServerState.unreachable("x", "127.0.0.1", 1, "", 1, 1)));
        }
    }
}
