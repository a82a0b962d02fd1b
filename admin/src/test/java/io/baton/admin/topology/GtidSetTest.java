package io.baton.admin.topology;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class GtidSetTest {
    private static final String A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    private static final String B = "7c1a0a9e-0000-11ee-8f3b-0242ac120002";

    @Test
    void parsesWhatTheServerPrintsIncludingNewlines() {
        // G10: multi-UUID gtid_executed contains newlines
        GtidSet s = GtidSet.parse(A.toUpperCase() + ":1-5:7,\n" + B + ":1");
        assertEquals(A + ":1-5:7," + B + ":1", s.toString());
        assertEquals(7, s.count());
        assertTrue(GtidSet.parse("").isEmpty());
        assertTrue(GtidSet.parse(null).isEmpty());
    }

    @Test
    void mergesOverlappingAndAdjacentIntervals() {
        assertEquals(A + ":1-10", GtidSet.parse(A + ":6-10:1-3:4-5").toString());
        assertEquals(A + ":1-10", GtidSet.parse(A + ":1-3," + A + ":2-10").toString());
    }

    @Test
    void subtractIsGtidSubtract() {
        GtidSet old = GtidSet.parse(A + ":1-8");
        GtidSet now = GtidSet.parse(A + ":1-6," + B + ":1-3");
        assertEquals(A + ":7-8", old.subtract(now).toString(), "the old source's errant transactions");
        assertEquals(B + ":1-3", now.subtract(old).toString());
        assertEquals(A + ":1-2:9-10", GtidSet.parse(A + ":1-10").subtract(GtidSet.parse(A + ":3-8")).toString());
        assertTrue(old.subtract(old).isEmpty());
    }

    @Test
    void containsAllIsTheSupersetRelation() {
        GtidSet big = GtidSet.parse(A + ":1-100," + B + ":1-5");
        GtidSet small = GtidSet.parse(A + ":1-50:60");
        assertTrue(big.containsAll(small));
        assertFalse(small.containsAll(big));
        assertTrue(big.containsAll(GtidSet.EMPTY));
        assertFalse(GtidSet.parse(A + ":1-5").containsAll(GtidSet.parse(A + ":1-6")));
    }

    @Test
    void unionAndTags() {
        assertEquals(A + ":1-7", GtidSet.parse(A + ":1-3").union(GtidSet.parse(A + ":4-7")).toString());
        GtidSet tagged = GtidSet.parse(A + ":1-3:blue:1-2");
        assertEquals(5, tagged.count());
        assertEquals(A + ":1-3," + A + ":blue:1-2", tagged.toString());
    }

    @Test
    void rejectsGarbage() {
        assertThrows(IllegalArgumentException.class, () -> GtidSet.parse("nope:1-2"));
        assertThrows(IllegalArgumentException.class, () -> GtidSet.parse(A + ":5-2"));
    }

    @Test
    void transactionsOfOneUuidIncludingItsTaggedOnes() {
        String a = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
        String b = "4e11fa47-71ca-11e1-9e33-c80aa9429562";
        GtidSet s = GtidSet.parse(a + ":1-5," + a + ":blue:1-2," + b + ":1-3");
        assertEquals(GtidSet.parse(a + ":1-5," + a + ":blue:1-2"), s.ofUuid(a.toUpperCase(), true));
        assertEquals(GtidSet.parse(b + ":1-3"), s.ofUuid(a, false));
        assertEquals(GtidSet.EMPTY, s.ofUuid("5e11fa47-71ca-11e1-9e33-c80aa9429562", true));
    }

    @Test
    void mariaDbListsAndPositions() {
        MariaDbGtids state = MariaDbGtids.parse("0-2-9,0-1-6,1-1-3");
        assertEquals("0-1-6,0-2-9,1-1-3", state.toString());
        assertEquals(6, state.last(0, 1).orElseThrow().seq());
        assertEquals(9L, state.seqByDomain().get(0L));
        assertEquals("0-2-9,1-1-3", state.position().toString());
        assertTrue(MariaDbGtids.parse("").isEmpty());
        assertThrows(IllegalArgumentException.class, () -> MariaDbGtids.parse("0-1"));
    }

    @Test
    void binlogCoordinatesOrderByFileNumberThenPosition() {
        assertTrue(new BinlogCoordinates("binlog.000010", 4).compareTo(new BinlogCoordinates("binlog.000009", 9999)) > 0);
        assertTrue(new BinlogCoordinates("binlog.000002", 100).compareTo(new BinlogCoordinates("binlog.000002", 157)) < 0);
        assertEquals(-1, new BinlogCoordinates("", 4).fileNumber());
    }
}
