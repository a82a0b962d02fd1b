package io.baton.admin.reads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.admin.BatonNode;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.junit.WithSandbox;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;

/** The read port on mysql80, GTID replication. */
@WithSandbox(replicas = 2, flavor = "mysql80", mode = "gtid")
class Mysql80ReadPortTest extends ReadPortScenarios {

    /**
     * kill -9 of the replica that answers a split read while it runs: the session is back on its source connection
     * and the read runs again there; the client sees only a slower answer. (One flavor: the path is Baton's own.)
     */
    @Test
    @Order(8)
    void aReplicaKilledUnderASplitReadLeavesTheReadToTheSource(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        try (BatonNode n = start(t, c -> c.proxy.splitReads = true)) {
            awaitServing(n, 2);
            try (Connection m = writer(n, t)) {
                Sql.exec(m, "CREATE TABLE app.big (id INT AUTO_INCREMENT PRIMARY KEY)");
                Sql.exec(m, "INSERT INTO app.big SELECT NULL FROM information_schema.columns a, information_schema.columns b LIMIT 2000");
                t.awaitReplication(30);
                awaitSplit(n, source, m, "SELECT COUNT(*) FROM app.big", "2000");
                String slow = "SELECT COUNT(*) FROM app.big a, app.big b, app.big c WHERE c.id <= 3";
                String expected = Long.toString(2000L * 2000 * 3);
                java.util.Map<String, Long> before = new java.util.HashMap<>();
                for (String r : replicaNames(t)) {
                    before.put(r, n.proxy().metrics().reads(r));
                }
                CompletableFuture<String> read = CompletableFuture.supplyAsync(() -> {
                    try {
                        return Sql.scalar(m, slow);
                    } catch (SQLException e) {
                        return "ERR " + e.getErrorCode() + " " + e.getMessage();
                    }
                });
                await("the slow read runs on a replica", 10, () -> before.entrySet().stream()
                        .anyMatch(e -> n.proxy().metrics().reads(e.getKey()) > e.getValue()));
                String on = before.keySet().stream().filter(r -> n.proxy().metrics().reads(r) > before.get(r))
                        .findFirst().orElseThrow();
                Thread.sleep(100);
                assertTrue(!read.isDone(), "the read still runs when its replica is killed");
                t.kill(on);
                try {
                    assertEquals(expected, read.get(60, TimeUnit.SECONDS), "the read ran again on the source");
                    assertEquals("2000", Sql.scalar(m, "SELECT COUNT(*) FROM app.big"), "the session goes on");
                } finally {
                    t.start(on);
                }
                awaitServing(n, 2);
                awaitSplit(n, source, m, "SELECT COUNT(*) FROM app.big", "2000");
            }
        }
    }
}
