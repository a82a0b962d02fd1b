package io.baton.admin.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.config.ConfigException;
import io.baton.admin.node.TestNodes;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.sql.Connection;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

@WithSandbox(replicas = 1, flavor = "mysql80", mode = "position")
class Mysql80PositionReplayTest extends ReplayScenarios {

    /** (Here because this class has a position-mode sandbox: the causal read levels need GTIDs.) */
    @Test
    void theCausalReadLevelsAreRefusedInPositionMode(SandboxTopology t) throws Exception {
        BatonConfig c = TestNodes.config(t);
        assertTrue(c.proxy.readPort > 0);
        TopologyFile.User u = t.user("app");
        try (BatonNode n = BatonNode.start(c, null, null);
             Connection r = Sql.connect("127.0.0.1", n.proxy().readPort(), u.user(), u.password(), 5000)) {
            for (String level : new String[] {"session", "user", "global"}) {
                SQLException e = assertThrows(SQLException.class,
                        () -> Sql.exec(r, "BATON SET consistency = '" + level + "'"));
                assertEquals(1231, e.getErrorCode(), e.getMessage());
                assertTrue(e.getMessage().contains("replication.mode position"), e.getMessage());
            }
            Sql.exec(r, "BATON SET consistency = 'eventual'");
            assertEquals("1", Sql.scalar(r, "SELECT 1"), "the session is usable");
        }
        BatonConfig user = TestNodes.config(t);
        user.reads.consistency = "user";
        ConfigException bad = assertThrows(ConfigException.class, () -> user.validate("baton.yml"));
        assertTrue(bad.getMessage().contains("reads.consistency"), bad.getMessage());
        BatonConfig split = TestNodes.config(t);
        split.proxy.splitReads = true;
        ConfigException noSplit = assertThrows(ConfigException.class, () -> split.validate("baton.yml"));
        assertTrue(noSplit.getMessage().contains("proxy.splitReads needs replication.mode gtid"), noSplit.getMessage());
    }
}
