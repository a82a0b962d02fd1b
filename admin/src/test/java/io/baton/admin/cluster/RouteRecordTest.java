package io.baton.admin.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Which changes of the route record keep a failover's fence (docs/durability.md, docs/cluster.md). */
class RouteRecordTest {
    private static final RouteRecord FIRST = new RouteRecord(1, "db1", "127.0.0.1", 3306, true, "", 0, null, "a",
            List.of("db1@127.0.0.1:3306", "db2@127.0.0.1:3307"), 0, null, null);

    @Test
    void aFailoversFenceHoldsUntilTheRouteMovesOrTheGateOpens() {
        RouteRecord closed = FIRST.withGateFencing("failover: source db1 lost", "db1");
        assertEquals(2, closed.epoch());
        assertEquals("db1", closed.fenced());
        // What a procedure writes meanwhile keeps it: its plan, a report, the gate closed again.
        assertEquals("db1", closed.withIntent(new RouteRecord.Intent("failover", "db1", "db2", "a", 0)).fenced());
        assertEquals("db1", closed.withReport("failover #3 ...").fenced());
        assertEquals("db1", closed.writtenBy("b", 1).fenced());
        assertEquals("db1", closed.withGate(false, "paused").fenced());
        // Routed elsewhere, or the gate open again: gone.
        assertNull(closed.withSource("db2", "127.0.0.1", 3307, 5).fenced());
        assertNull(closed.withSourceOpen("db2", "127.0.0.1", 3307, 5).fenced());
        assertNull(closed.withGate(true, "").fenced());
        assertNull(FIRST.withGate(false, "switchover to db2").fenced(), "a switchover fences nothing");
    }

    @Test
    void theFieldIsReadAndWrittenAndAnOlderRecordHasNone() throws Exception {
        RouteRecord closed = FIRST.withGateFencing("failover", "db1");
        RouteRecord back = ClusterNode.JSON.readValue(ClusterNode.JSON.writeValueAsBytes(closed), RouteRecord.class);
        assertEquals(closed, back);
        // A record an older node wrote (no such field) reads as no fence; a newer field an older node does not know is
        // ignored the same way (ignoreUnknown).
        String old = "{\"epoch\":7,\"source\":\"db2\",\"host\":\"127.0.0.1\",\"port\":3307,\"gateOpen\":true,"
                + "\"gateReason\":\"\",\"lastFailoverMillis\":0,\"leader\":\"a\",\"servers\":[],\"writtenAtMillis\":0,"
                + "\"somethingNewer\":1}";
        RouteRecord r = ClusterNode.JSON.readValue(old, RouteRecord.class);
        assertEquals(7, r.epoch());
        assertNull(r.fenced());
    }
}
