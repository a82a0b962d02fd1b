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
