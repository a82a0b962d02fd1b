package io.baton.admin.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.admin.failover.CandidateChooser.Candidate;
import io.baton.admin.failover.CandidateChooser.Choice;
import io.baton.admin.failover.Progress.Comparison;
import io.baton.admin.topology.BinlogCoordinates;
import io.baton.admin.topology.GtidSet;
import io.baton.admin.topology.MariaDbGtids;
import java.util.List;
import org.junit.jupiter.api.Test;

class CandidateChooserTest {
    private static final String SRC = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    private static final String OTHER = "7c1a0a9e-0000-11ee-8f3b-0242ac120002";
    /** A replica's own server_uuid: what a local write on it is numbered with. */
    private static final String LOCAL = "9d2b3c4e-1111-11ee-8f3b-0242ac120003";

    private static Candidate gtid(String name, String set, int priority, int order) {
        return new Candidate(name, priority, order, new Progress.Gtids(GtidSet.parse(set)), null);
    }

    @Test
    void theMostAdvancedReplicaWinsWhateverItsPriority() {
        Choice c = CandidateChooser.choose(List.of(
                gtid("db2", SRC + ":1-90", 100, 1),
                gtid("db3", SRC + ":1-100", 0, 2),
                gtid("db4", SRC + ":1-95", 50, 3)), null);
        assertEquals("db3", c.chosen().orElseThrow().name());
        assertTrue(c.reason().contains("executed everything"), c.reason());
    }

    @Test
    void priorityThenConfigurationOrderBreakTies() {
        Choice c = CandidateChooser.choose(List.of(
                gtid("db2", SRC + ":1-100", 0, 1),
                gtid("db3", SRC + ":1-100", 5, 2),
                gtid("db4", SRC + ":1-100", 5, 3)), null);
        assertEquals("db3", c.chosen().orElseThrow().name());
        Choice byOrder = CandidateChooser.choose(List.of(
                gtid("db2", SRC + ":1-100", 0, 1),
                gtid("db3", SRC + ":1-100", 0, 2)), null);
        assertEquals("db2", byOrder.chosen().orElseThrow().name());
    }

    @Test
    void neverPromoteIsNeverChosenAndItsLeadIsReported() {
        Choice c = CandidateChooser.choose(List.of(
                new Candidate("db2", 0, 1, new Progress.Gtids(GtidSet.parse(SRC + ":1-100")), "is on the never-promote list"),
                gtid("db3", SRC + ":1-90", 0, 2)), null);
        assertEquals("db3", c.chosen().orElseThrow().name());
        assertEquals(1, c.warnings().size());
        assertTrue(c.warnings().get(0).contains(SRC + ":91-100"), c.warnings().toString());
        Choice none = CandidateChooser.choose(List.of(
                new Candidate("db2", 0, 1, new Progress.Gtids(GtidSet.EMPTY), "is on the never-promote list")), null);
        assertTrue(none.chosen().isEmpty());
    }

    @Test
    void aRequestedCandidateBehindAnotherReplicaIsRefused() {
        List<Candidate> cands = List.of(gtid("db2", SRC + ":1-90", 0, 1), gtid("db3", SRC + ":1-100", 0, 2));
        Choice refused = CandidateChooser.choose(cands, "db2");
        assertTrue(refused.chosen().isEmpty());
        assertTrue(refused.reason().contains("db3") && refused.reason().contains(SRC + ":91-100"), refused.reason());
        assertEquals("db3", CandidateChooser.choose(cands, "db3").chosen().orElseThrow().name());
        assertTrue(CandidateChooser.choose(cands, "db9").chosen().isEmpty());
    }

    @Test
    void replicasThatDriftedApartAreReported() {
        Choice c = CandidateChooser.choose(List.of(
                gtid("db2", SRC + ":1-100", 0, 1),
                gtid("db3", SRC + ":1-99," + OTHER + ":1", 0, 2)), null);
        assertEquals("db2", c.chosen().orElseThrow().name());
        assertTrue(c.warnings().stream().anyMatch(w -> w.contains("db3") && w.contains(OTHER + ":1")), c.warnings().toString());
    }

    /**
     * A replica as the failover ranks it: errant transactions found against the lost source as last
     * seen (its own later transactions not counting) are left out of its progress and named.
     */
    private static Candidate afterFailover(String name, String executed, String sourceLastSeen, int priority, int order) {
        GtidSet all = GtidSet.parse(executed);
        GtidSet errant = ErrantTransactions.mysqlAtFailover(all, GtidSet.parse(sourceLastSeen), SRC);
        return new Candidate(name, priority, order, new Progress.Gtids(all.subtract(errant)), null,
                errant.isEmpty() ? null : errant.toString());
    }

    @Test
    void anEquallyAdvancedReplicaWithoutErrantTransactionsWinsOverPriority() {
        // db3 has a local write (LOCAL:1) and the higher priority; both received the same from the source,
        // which committed 91-100 after it was last seen (they are its own: not errant).
        Choice c = CandidateChooser.choose(List.of(
                afterFailover("db2", SRC + ":1-100", SRC + ":1-90", 0, 1),
                afterFailover("db3", SRC + ":1-100," + LOCAL + ":1", SRC + ":1-90", 10, 2)), null);
        assertEquals("db2", c.chosen().orElseThrow().name());
        assertTrue(c.reason().contains("no errant transactions") && c.reason().contains(LOCAL + ":1"), c.reason());
        assertTrue(c.warnings().isEmpty(), c.warnings().toString());
    }

    @Test
    void theMostAdvancedReplicaIsPromotedDespiteErrantTransactionsAndTheWarningNamesThem() {
        Choice c = CandidateChooser.choose(List.of(
                afterFailover("db2", SRC + ":1-95", SRC + ":1-90", 10, 1),
                afterFailover("db3", SRC + ":1-100," + LOCAL + ":1-2", SRC + ":1-90", 0, 2)), null);
        assertEquals("db3", c.chosen().orElseThrow().name(), "a less advanced replica would lose " + SRC + ":96-100");
        assertEquals(1, c.warnings().size(), c.warnings().toString());
        assertTrue(c.warnings().get(0).contains("db3") && c.warnings().get(0).contains(LOCAL + ":1-2")
                && c.warnings().get(0).contains("only replica that has everything"), c.warnings().get(0));
    }

    @Test
    void whenEveryEquallyAdvancedReplicaHasErrantTransactionsPriorityDecidesAndTheChosenOnesAreNamed() {
        Choice c = CandidateChooser.choose(List.of(
                afterFailover("db2", SRC + ":1-100," + OTHER + ":1", SRC + ":1-100", 0, 1),
                afterFailover("db3", SRC + ":1-100," + LOCAL + ":1", SRC + ":1-100", 5, 2)), null);
        assertEquals("db3", c.chosen().orElseThrow().name());
        assertTrue(c.warnings().get(0).contains(LOCAL + ":1") && c.warnings().get(0).contains("as advanced has errant"),
                c.warnings().toString());
    }

    @Test
    void aRequestedReplicaWithErrantTransactionsIsPromotedWithAWarning() {
        List<Candidate> cands = List.of(
                afterFailover("db2", SRC + ":1-100", SRC + ":1-100", 0, 1),
                afterFailover("db3", SRC + ":1-100," + LOCAL + ":7", SRC + ":1-100", 0, 2));
        Choice c = CandidateChooser.choose(cands, "db3");
        assertEquals("db3", c.chosen().orElseThrow().name());
        assertTrue(c.warnings().stream().anyMatch(w -> w.contains(LOCAL + ":7") && w.contains("requested")), c.warnings().toString());
        // and the replica with a local write is not "ahead" of the others: the requested clean one is fine too
        assertEquals("db2", CandidateChooser.choose(cands, "db2").chosen().orElseThrow().name());
    }

    @Test
    void errantTransactionsAtFailover() {
        String earlier = "11111111-2222-3333-4444-555555555555"; // a source before the lost one
        GtidSet seen = GtidSet.parse(earlier + ":1-50," + SRC + ":1-90");
        // The source's later transactions (91-120) are its own; the earlier source's are in what it had.
        assertTrue(ErrantTransactions.mysqlAtFailover(GtidSet.parse(earlier + ":1-50," + SRC + ":1-120"), seen, SRC).isEmpty());
        assertEquals(LOCAL + ":3", ErrantTransactions.mysqlAtFailover(
                GtidSet.parse(earlier + ":1-50," + SRC + ":1-95," + LOCAL + ":3"), seen, SRC).toString());
        assertEquals(earlier + ":51", ErrantTransactions.mysqlAtFailover(
                GtidSet.parse(earlier + ":1-51," + SRC + ":1-95"), seen, SRC.toUpperCase()).toString());
        // 8.4 tagged GTIDs of the source are its own too
        assertTrue(ErrantTransactions.mysqlAtFailover(GtidSet.parse(SRC + ":1-90," + SRC + ":batch:1-3"), seen, SRC).isEmpty());
        // Never seen the source: a replica's own writes that no other replica has
        GtidSet others = GtidSet.parse(SRC + ":1-80," + LOCAL + ":1-2");
        assertEquals(LOCAL + ":3-4", ErrantTransactions.mysqlOwnWrites(
                GtidSet.parse(SRC + ":1-90," + LOCAL + ":1-4," + OTHER + ":9"), LOCAL, others).toString());
    }

    @Test
    void mariaDbErrantTransactionsAtFailover() {
        // Lost source server_id 1, last seen at 0-1-90; db3 (server_id 3) wrote 0-3-91 locally.
        MariaDbGtids seen = MariaDbGtids.parse("0-1-90");
        assertTrue(ErrantTransactions.mariaDbAtFailover(MariaDbGtids.parse("0-1-120"), seen, 1, "db1").isEmpty(),
                "the source's own later transactions do not count");
        List<String> e = ErrantTransactions.mariaDbAtFailover(MariaDbGtids.parse("0-1-95,0-3-91"), seen, 1, "db1");
        assertEquals(1, e.size(), e.toString());
        assertTrue(e.get(0).startsWith("0-3-91 ") && e.get(0).contains("none from it"), e.get(0));
        assertTrue(ErrantTransactions.mariaDbAtFailover(MariaDbGtids.parse("0-1-95,0-2-40"), MariaDbGtids.parse("0-1-90,0-2-40"),
                1, "db1").isEmpty(), "an earlier source's GTIDs the source had are not errant");
        List<String> own = ErrantTransactions.mariaDbOwnWrites(MariaDbGtids.parse("0-1-95,0-3-97"), 3,
                MariaDbGtids.parse("0-1-96"));
        assertEquals(1, own.size());
        assertTrue(own.get(0).startsWith("0-3-97 "), own.get(0));
    }

    @Test
    void automaticRetriesAfterFailedAttemptsBackOffUpToBlockSeconds() {
        io.baton.admin.config.BatonConfig c = new io.baton.admin.config.BatonConfig();
        c.monitor.interval = java.time.Duration.ofMillis(200);
        c.monitor.failedChecks = 3;
        c.failover.blockSeconds = 10;
        assertEquals(1000, FailoverEngine.retryDelay(c, 1).toMillis(), "at least 1 s");
        assertEquals(2000, FailoverEngine.retryDelay(c, 2).toMillis());
        assertEquals(8000, FailoverEngine.retryDelay(c, 4).toMillis());
        assertEquals(10_000, FailoverEngine.retryDelay(c, 5).toMillis(), "at most blockSeconds");
        assertEquals(10_000, FailoverEngine.retryDelay(c, 500).toMillis());
        c.monitor.interval = java.time.Duration.ofSeconds(1);
        c.failover.blockSeconds = 0;
        assertEquals(3000, FailoverEngine.retryDelay(c, 7).toMillis(), "as long as detection takes, even without blockSeconds");
        c.monitor.interval = java.time.Duration.ofDays(365); // the largest SET allows, with a huge failedChecks
        c.monitor.failedChecks = Integer.MAX_VALUE;
        c.failover.blockSeconds = 120;
        assertTrue(FailoverEngine.retryDelay(c, 30).toMillis() > 0, "saturates, never overflows to a negative delay");
    }

    @Test
    void gtidComparison() {
        Progress a = new Progress.Gtids(GtidSet.parse(SRC + ":1-10"));
        Progress b = new Progress.Gtids(GtidSet.parse(SRC + ":1-8"));
        Progress c = new Progress.Gtids(GtidSet.parse(SRC + ":1-8," + OTHER + ":1"));
        assertEquals(Comparison.AHEAD, a.compare(b));
        assertEquals(Comparison.BEHIND, b.compare(a));
        assertEquals(Comparison.SAME, a.compare(a));
        assertEquals(Comparison.DIVERGED, a.compare(c));
        assertEquals(SRC + ":9-10", b.missingFrom(a));
        assertEquals("", a.missingFrom(b));
    }

    @Test
    void mariaDbAndPositionComparison() {
        Progress m1 = new Progress.MariaDb(MariaDbGtids.parse("0-1-10"));
        Progress m2 = new Progress.MariaDb(MariaDbGtids.parse("0-1-8"));
        Progress m3 = new Progress.MariaDb(MariaDbGtids.parse("0-1-8,1-3-2"));
        assertEquals(Comparison.AHEAD, m1.compare(m2));
        assertEquals(Comparison.DIVERGED, m1.compare(m3));
        assertEquals("domain 0 seq 9..10", m2.missingFrom(m1));

        Progress p1 = new Progress.Position("127.0.0.1:33100", new BinlogCoordinates("binlog.000002", 400));
        Progress p2 = new Progress.Position("127.0.0.1:33100", new BinlogCoordinates("binlog.000001", 9000));
        Progress other = new Progress.Position("127.0.0.1:33101", new BinlogCoordinates("binlog.000009", 4));
        assertEquals(Comparison.AHEAD, p1.compare(p2));
        assertEquals(Comparison.DIVERGED, p1.compare(other), "positions of different sources cannot be compared");
        assertFalse(p2.missingFrom(p1).isEmpty());
        Choice c = CandidateChooser.choose(List.of(new Candidate("db2", 9, 1, p2, null), new Candidate("db3", 0, 2, p1, null)), null);
        assertEquals("db3", c.chosen().orElseThrow().name());
    }
}
