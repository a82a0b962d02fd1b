package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class GtidMarkTest {
    private static final String A = "3E11FA47-71CA-11E1-9E33-C80AA9429562";
    private static final String B = "4f2c1b3a-0000-11e1-9e33-c80aa9429562";

    @Test
    void aMySqlCommitNamesItsStreamAndNumber() {
        GtidMark m = GtidMark.ofCommit(A + ":23");
        assertEquals(Map.of(A.toLowerCase(), 23L), m.streams());
        assertFalse(m.mariaDb());
        GtidMark two = GtidMark.ofCommit(A + ":23," + B + ":5-7");
        assertEquals(Map.of(A.toLowerCase(), 23L, B, 7L), two.streams());
    }

    @Test
    void anExecutedSetCoversOnlyUpToTheEndOfItsFirstInterval() {
        GtidMark executed = GtidMark.ofExecuted(A + ":1-100:102-110,\n" + B + ":1-5");
        assertEquals(100L, executed.streams().get(A.toLowerCase()), "101 is missing: 102-110 do not count");
        assertTrue(executed.covers(GtidMark.ofCommit(A + ":100")));
        assertFalse(executed.covers(GtidMark.ofCommit(A + ":101")));
        assertFalse(executed.covers(GtidMark.ofCommit(A + ":105")), "a gap before it: not covered");
        assertTrue(executed.covers(GtidMark.ofCommit(B + ":5")));
        assertFalse(executed.covers(GtidMark.ofCommit("5e11fa47-71ca-11e1-9e33-c80aa9429562:1")), "an unknown stream");
        GtidMark gapAtStart = GtidMark.ofExecuted(A + ":3-100");
        assertTrue(gapAtStart.isEmpty(), "1-2 missing: nothing of the stream is known to be complete");
    }

    @Test
    void mariaDbPositionsAreComparedPerDomain() {
        GtidMark commit = GtidMark.ofCommit("0-1-105");
        assertTrue(commit.mariaDb());
        assertEquals(Map.of("0", 105L), commit.streams());
        GtidMark pos = GtidMark.ofExecuted("0-2-105,1-1-7");
        assertTrue(pos.covers(commit), "the server id in a position is not compared");
        assertFalse(GtidMark.ofExecuted("0-1-104").covers(commit));
        assertFalse(GtidMark.ofExecuted("1-1-900").covers(commit), "another domain");
        assertEquals("SELECT MASTER_GTID_WAIT('0-0-105', 0.250)", commit.waitStatement(250));
    }

    @Test
    void theWaitStatementAsksForEveryTransactionUpToTheMark() {
        GtidMark m = GtidMark.ofCommit(A + ":23").merge(GtidMark.ofCommit(B + ":4"));
        assertEquals("SELECT WAIT_FOR_EXECUTED_GTID_SET('" + A.toLowerCase() + ":1-23," + B + ":1-4', 1.000)",
                m.waitStatement(1000));
        assertEquals("SELECT WAIT_FOR_EXECUTED_GTID_SET('" + A.toLowerCase() + ":1-23," + B + ":1-4', 0.050)",
                m.waitStatement(50));
    }

    @Test
    void mergeKeepsEachStreamsHigherNumberAndCapDropsWhatNoServerHas() {
        GtidMark m = GtidMark.ofCommit(A + ":9").merge(GtidMark.ofCommit(A + ":7")).merge(GtidMark.ofCommit(B + ":3"));
        assertEquals(Map.of(A.toLowerCase(), 9L, B, 3L), m.streams());
        GtidMark capped = m.cappedBy(GtidMark.ofExecuted(A + ":1-8"));
        assertEquals(Map.of(A.toLowerCase(), 8L), capped.streams(), "9 was lost; B is on no server");
        assertTrue(GtidMark.EMPTY.merge(m).equals(m));
        assertTrue(m.covers(GtidMark.EMPTY));
    }

    @Test
    void textThatIsNoGtidGivesAnEmptyMarkNeverAnException() {
        for (String bad : new String[] {null, "", "  ", "garbage", A + ":x", A + ":1-y", "0-1", "0-1-2-3", "a-b-c",
            ":", A + ":", ",,,", A + ":99999999999999999999999", "0-1-99999999999999999999999"}) {
            assertTrue(GtidMark.ofCommit(bad).isEmpty(), String.valueOf(bad));
            assertTrue(GtidMark.ofExecuted(bad).isEmpty(), String.valueOf(bad));
        }
        Random r = new Random(42);
        String alphabet = "0123456789abcdef-:,\n ";
        for (int i = 0; i < 20_000; i++) {
            StringBuilder sb = new StringBuilder();
            for (int k = r.nextInt(60); k > 0; k--) {
                sb.append(alphabet.charAt(r.nextInt(alphabet.length())));
            }
            GtidMark.ofCommit(sb.toString()).waitStatement(10); // parses to something or to nothing, never throws
            GtidMark.ofExecuted(sb.toString()).covers(GtidMark.ofCommit(sb.toString()));
        }
    }

    @Test
    void writeMarksCapTheGenerationBeforeASourceChangeAtTheSecondMeasurement() {
        WriteMarks w = new WriteMarks();
        w.record("app", A + ":10");
        w.record("other", B + ":4");
        assertEquals(Map.of(A.toLowerCase(), 10L), w.required("app").streams());
        assertEquals(Map.of(A.toLowerCase(), 10L, B, 4L), w.required(null).streams());
        w.sourceChanged();
        w.record("app", B + ":5");
        assertEquals(Map.of(A.toLowerCase(), 10L, B, 5L), w.required("app").streams(), "both generations count");
        GtidMark servers = GtidMark.ofExecuted(A + ":1-8," + B + ":1-5");
        w.measured(servers);
        assertEquals(10L, w.required("app").streams().get(A.toLowerCase()), "the first measurement may predate the change");
        w.measured(servers);
        assertEquals(Map.of(A.toLowerCase(), 8L, B, 5L), w.required("app").streams(), "A:9-10 were lost with the source");
        assertTrue(w.required("nobody").isEmpty());
    }

    @Test
    void aSessionsOwnMarkIsKeptApartCappedAsTheOthersAndForgottenAtItsEnd() {
        WriteMarks w = new WriteMarks();
        w.recordOwn(7, A + ":10");
        assertEquals(Map.of(A.toLowerCase(), 10L), w.requiredOwn(7).streams());
        assertTrue(w.requiredOwn(8).isEmpty(), "another session's");
        assertTrue(w.required(null).isEmpty(), "not a user's write: the user's mark is recorded by record()");
        w.sourceChanged();
        GtidMark servers = GtidMark.ofExecuted(A + ":1-9");
        w.measured(servers);
        w.measured(servers);
        assertEquals(Map.of(A.toLowerCase(), 9L), w.requiredOwn(7).streams(), "A:10 was lost with the source");
        w.forget(7);
        assertTrue(w.requiredOwn(7).isEmpty());
    }
}
