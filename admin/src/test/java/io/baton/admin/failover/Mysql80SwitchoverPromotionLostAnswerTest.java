package io.baton.admin.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A switchover whose promotion fails on the statement that makes the target writable, with the statement
 * run by the server and its answer lost: the procedure cannot tell from the error whether the target is
 * writable. Making the old source writable again without asking left two writable servers. Baton asks the
 * target on a fresh connection: it is writable, so it is the source, and the old source stays read-only.
 */
@WithSandbox(replicas = 1, flavor = "mysql80", mode = "gtid")
class Mysql80SwitchoverPromotionLostAnswerTest {

    @Test
    void aPromotionWhoseAnswerIsLostNeverLeavesTwoWritableServers(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        String target = t.servers().stream().map(TopologyFile.Server::name).filter(n -> !n.equals(source))
                .findFirst().orElseThrow();
        try (CuttingRelay relay = new CuttingRelay(t.server(target).port(), "read_only=OFF");
             EngineUnderTest u = new EngineUnderTest(t, source, c -> c.server(target).port = relay.port())) {
            u.awaitSeen(target, 10_000);
            FailoverReport r = u.engine.switchover(target, "test: the promotion's answer is lost");
            System.out.println(r.describe());
            assertTrue(relay.cut(), "the answer to making " + target + " writable was dropped");
            assertFalse(r.succeeded(), r.describe());

            List<String> writable = new ArrayList<>();
            for (TopologyFile.Server s : t.servers()) {
                try (Connection c = t.connectRoot(s.name())) {
                    if ("0".equals(Sql.scalar(c, "SELECT @@GLOBAL.read_only"))) {
                        writable.add(s.name());
                    }
                }
            }
            assertEquals(List.of(target), writable, "exactly one writable server, the promoted one: " + r.describe());
            assertEquals(relay.port(), u.routing.source().port(), "routed to the promoted server");
        }
    }
}
