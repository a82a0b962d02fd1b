package io.baton.admin.cluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.FailoverReport;
import io.baton.admin.node.TestNodes;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithEnsemble;
import io.baton.sandbox.junit.WithSandbox;
import io.baton.sandbox.zk.Ensemble;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Two Baton nodes of one cluster on a real three-server ZooKeeper ensemble and a real 1+2 MySQL topology,
 * each node with its own ZooKeeper session: what clients see through both when the cluster's parts fail.
 * Each test has a cluster name of its own; the one that kills the source runs last.
 */
@WithSandbox(replicas = 2)
@WithEnsemble(nodes = 3)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ClusterTest {
    private String clusterName;

    @BeforeEach
    void cleanData(SandboxTopology t, TestInfo info) throws Exception {
        t.resetData();
        try (Connection c = t.connectRoot(t.currentSource().name()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE app.t (id BIGINT PRIMARY KEY, v VARCHAR(64))");
        }
        t.awaitReplication(30);
        String test = info.getTestMethod().orElseThrow().getName().toLowerCase(java.util.Locale.ROOT);
        clusterName = "t-" + test.substring(0, Math.min(60, test.length()));
    }

    /** A node of this test's cluster on the shared ensemble. */
    private BatonNode node(SandboxTopology t, Ensemble zk, String nodeId) throws Exception {
        return BatonNode.start(nodeConfig(t, clusterName, nodeId, zk.connectString()), null, null);
    }

    static BatonConfig nodeConfig(SandboxTopology t, String cluster, String nodeId, String zookeeper) throws Exception {
        BatonConfig c = TestNodes.config(t);
        c.cluster = new BatonConfig.Cluster();
        c.cluster.zookeeper = zookeeper;
        c.cluster.name = cluster;
        c.cluster.nodeId = nodeId;
        c.gate.maxWait = Duration.ofSeconds(30);
        return c;
    }

    /**
     * A node that acknowledges a commit only once a replica has it (durability.mode replica): with the
     * asynchronous default, a kill -9 of the source loses what the replicas had not received, by design,
     * and "no acknowledged write lost" is only promised in replica mode (docs/durability.md).
     */
    static BatonConfig durableNodeConfig(SandboxTopology t, String cluster, String nodeId, String zookeeper)
            throws Exception {
        BatonConfig c = nodeConfig(t, cluster, nodeId, zookeeper);
        c.durability.mode = "replica";
        return c;
    }

    static void await(String what, long timeoutMillis, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("timed out after " + timeoutMillis + " ms waiting until " + what);
            }
            Thread.sleep(10);
        }
    }

    /** Both nodes route (lease held, record applied) and see each other. */
    static void awaitJoined(BatonNode... nodes) throws InterruptedException {
        await("every node routes and sees the others", 15_000, () -> {
            for (BatonNode n : nodes) {
                if (n.cluster().node().fenced() || n.cluster().members().size() != nodes.length) {
                    return false;
                }
            }
            return true;
        });
    }

    static Connection connect(BatonNode n, TopologyFile.User u) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", u.user());
        p.setProperty("password", u.password());
        p.setProperty("sslMode", "DISABLED");
        p.setProperty("socketTimeout", "60000");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + n.proxy().port() + "/app", p);
    }

    static long serverId(SandboxTopology t, String server) throws SQLException {
        try (Connection c = t.connectRoot(server); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT @@server_id")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Every acknowledged id is on {@code server}. */
    static void assertNoneLost(SandboxTopology t, String server, Set<Long> acked) throws SQLException {
        Set<Long> present = new HashSet<>();
        try (Connection c = t.connectRoot(server); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM app.t")) {
            while (rs.next()) {
                present.add(rs.getLong(1));
            }
        }
        List<Long> lost = acked.stream().filter(id -> !present.contains(id)).toList();
        assertTrue(lost.isEmpty(), lost.size() + " acknowledged write(s) lost on " + server + ": " + lost);
    }

    static String otherReplica(SandboxTopology t, String source) {
        return t.servers().stream().map(TopologyFile.Server::name).filter(n -> !n.equals(source)).findFirst().orElseThrow();
    }

    static int healthReady(BatonNode n) throws Exception {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.net.http.HttpResponse<String> r = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                "http://127.0.0.1:" + n.metricsServer().port() + "/health/ready")).timeout(Duration.ofSeconds(5)).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString());
        return r.statusCode();
    }

    static void assertPortFree(int port) {
        try (java.net.Socket s = new java.net.Socket("127.0.0.1", port)) {
            throw new AssertionError("port " + port + " still listens after a failed start");
        } catch (java.io.IOException expected) {
            // refused: nothing half-started
        }
    }

    @Test
    @Order(0)
    void aConnectStringWhereNoZooKeeperListensIsOneClearErrorAndNothingHalfStarted(SandboxTopology t) throws Exception {
        int dead = io.baton.sandbox.Sandbox.freeLoopbackPort();
        BatonConfig c = nodeConfig(t, clusterName, "a", "127.0.0.1:" + dead);
        c.cluster.connectionTimeout = Duration.ofSeconds(1);
        ClusterException e = org.junit.jupiter.api.Assertions.assertThrows(ClusterException.class,
                () -> BatonNode.start(c, null, null));
        assertTrue(e.getMessage().contains("cannot reach ZooKeeper at 127.0.0.1:" + dead + " within 1000 ms"), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line");
        assertPortFree(c.proxy.port);
        assertPortFree(c.admin.port);
        assertPortFree(c.metrics.port);
    }

    @Test
    @Order(0)
    void zooKeeperDownAtStartIsOneClearErrorAndNothingHalfStarted(SandboxTopology t, Ensemble zk) throws Exception {
        BatonConfig c = nodeConfig(t, clusterName, "a", zk.connectString());
        c.cluster.connectionTimeout = Duration.ofSeconds(1);
        List<Integer> ids = zk.ids();
        ids.forEach(zk::pause); // every server hung: connections open, nothing answers
        try {
            ClusterException e = org.junit.jupiter.api.Assertions.assertThrows(ClusterException.class,
                    () -> BatonNode.start(c, null, null));
            assertTrue(e.getMessage().contains("cannot reach ZooKeeper"), e.getMessage());
            assertPortFree(c.proxy.port);
            assertPortFree(c.metrics.port);
        } finally {
            ids.forEach(zk::resume);
        }
    }

    @Test
    @Order(0)
    void twoClustersWithOneNameAndDifferentServersAreRefused(SandboxTopology t, Ensemble zk) throws Exception {
        try (BatonNode a = node(t, zk, "a")) {
            BatonConfig other = nodeConfig(t, clusterName, "b", zk.connectString());
            other.servers.get(other.servers.size() - 1).port += 1000; // another topology under the same name
            ClusterException e = org.junit.jupiter.api.Assertions.assertThrows(ClusterException.class,
                    () -> BatonNode.start(other, null, null));
            assertTrue(e.getMessage().contains("each MySQL topology needs its own cluster.name"), e.getMessage());
            assertPortFree(other.proxy.port);
            assertEquals(1, a.cluster().members().size(), "the refused node did not join");

            BatonConfig twin = nodeConfig(t, clusterName, "a", zk.connectString()); // same id as the live node
            ClusterException dup = org.junit.jupiter.api.Assertions.assertThrows(ClusterException.class,
                    () -> BatonNode.start(twin, null, null));
            assertTrue(dup.getMessage().contains("node id a is in use by another live node"), dup.getMessage());
            assertPortFree(twin.proxy.port);
            assertEquals(1, a.cluster().members().size(), "the twin did not take over a's membership");
            assertFalse(a.cluster().node().fenced());
        }
    }

    @Test
    @Order(1)
    void aZooKeeperFollowerLostIsInvisibleToClients(SandboxTopology t, Ensemble zk) throws Exception {
        int follower = zk.ids().stream().filter(id -> id != zk.leader()).findFirst().orElseThrow();
        ZkLoss loss = loseOneZooKeeperServerUnderLoad(t, zk, follower);
        assertEquals(List.of(), loss.errors(), "errors through the nodes");
        assertEquals(0, loss.reconnects(), "reconnects");
        assertEquals(0, loss.fencings(), "no node fenced itself: the quorum stayed");
    }

    @Test
    @Order(1)
    void theZooKeeperLeaderLostCostsAtMostAPauseNeverAnError(SandboxTopology t, Ensemble zk) throws Exception {
        // While the remaining servers elect a leader the ensemble answers nothing; a node whose lease runs out
        // meanwhile holds its statements (docs/cluster.md): they wait and then run, nobody gets an error.
        ZkLoss loss = loseOneZooKeeperServerUnderLoad(t, zk, zk.leader());
        assertEquals(List.of(), loss.errors(), "errors through the nodes");
        assertEquals(0, loss.reconnects(), "reconnects");
    }

    record ZkLoss(List<String> errors, long reconnects, int fencings) {
    }

    private ZkLoss loseOneZooKeeperServerUnderLoad(SandboxTopology t, Ensemble zk, int victim) throws Exception {
        TopologyFile.User app = t.user("app");
        try (BatonNode a = node(t, zk, "a");
             BatonNode b = node(t, zk, "b")) {
            awaitJoined(a, b);
            ClusterWriter wa = new ClusterWriter(a.proxy().port(), app.user(), app.password(), 1);
            ClusterWriter wb = new ClusterWriter(b.proxy().port(), app.user(), app.password(), 1_000_000);
            wa.awaitMore(50, 10_000);
            wb.awaitMore(50, 10_000);
            zk.kill(victim);
            try {
                wa.awaitMore(300, 15_000);
                wb.awaitMore(300, 15_000);
                Thread.sleep(2 * a.config().cluster.lease().toMillis()); // longer than a lease
                wa.awaitMore(50, 10_000);
                wb.awaitMore(50, 10_000);
            } finally {
                wa.close();
                wb.close();
                zk.start(victim);
            }
            assertNoneLost(t, a.proxy().source().name(), wa.acked);
            assertNoneLost(t, a.proxy().source().name(), wb.acked);
            List<String> errors = new ArrayList<>(wa.errors);
            errors.addAll(wb.errors);
            return new ZkLoss(errors, wa.reconnects.get() + wb.reconnects.get(),
                    a.cluster().node().fencings() + b.cluster().node().fencings());
        }
    }

    @Test
    @Order(2)
    void switchoverUnderLoadThroughTwoNodesLosesNothingAndErrsNowhere(SandboxTopology t, Ensemble zk) throws Exception {
        TopologyFile.User app = t.user("app");
        try (BatonNode a = node(t, zk, "a");
             BatonNode b = node(t, zk, "b")) {
            awaitJoined(a, b);
            await("a leads", 10_000, () -> a.cluster().isLeader() || b.cluster().isLeader());
            BatonNode leader = a.cluster().isLeader() ? a : b;
            String old = a.proxy().source().name();
            String target = otherReplica(t, old);
            ClusterWriter wa = new ClusterWriter(a.proxy().port(), app.user(), app.password(), 1);
            ClusterWriter wb = new ClusterWriter(b.proxy().port(), app.user(), app.password(), 1_000_000);
            FailoverReport r;
            try {
                wa.awaitMore(50, 10_000);
                wb.awaitMore(50, 10_000);
                r = leader.engine().switchover(target, "test");
                wa.awaitMore(100, 10_000);
                wb.awaitMore(100, 10_000);
            } finally {
                wa.close();
                wb.close();
            }
            assertTrue(r.succeeded(), r.describe());
            assertEquals(target, a.proxy().source().name(), "node a routes to the new source");
            assertEquals(target, b.proxy().source().name(), "node b routes to the new source");
            assertEquals(List.of(), wa.errors, "errors through node a");
            assertEquals(List.of(), wb.errors, "errors through node b");
            assertEquals(0, wa.reconnects.get() + wb.reconnects.get(), "reconnects");
            assertNoneLost(t, target, wa.acked);
            assertNoneLost(t, target, wb.acked);
            await("the report's headline reaches node b through the route record", 5000,
                    () -> b.cluster().route().lastReport() != null);
            RouteRecord route = b.cluster().route();
            assertEquals(target, route.source());
            assertTrue(route.gateOpen());
            assertTrue(route.lastReport().contains("#" + r.id()), route.toString());
        }
    }

    @Test
    @Order(3)
    void aNodeCutOffFromZooKeeperHoldsItsStatementsUntilItKnowsTheNewSource(SandboxTopology t, Ensemble zk)
            throws Exception {
        List<TcpRelay> relays = new ArrayList<>();
        for (String hp : zk.connectString().split(",")) {
            relays.add(new TcpRelay(Integer.parseInt(hp.substring(hp.lastIndexOf(':') + 1))));
        }
        String viaRelays = relays.stream().map(r -> "127.0.0.1:" + r.port()).collect(Collectors.joining(","));
        TopologyFile.User app = t.user("app");
        try (BatonNode a = node(t, zk, "a")) {
            await("a leads", 10_000, () -> a.cluster().isLeader());
            try (BatonNode b = BatonNode.start(nodeConfig(t, clusterName, "b", viaRelays), null, null);
                 Connection cb = connect(b, app)) {
                awaitJoined(a, b);
                String old = a.proxy().source().name();
                String target = otherReplica(t, old);
                long leaseMs = b.config().cluster.lease().toMillis();

                relays.forEach(TcpRelay::cut);
                long cutAt = System.nanoTime();
                await("b fences itself", leaseMs + 1000, () -> !b.proxy().gate().mayRoute());
                long fencedAfter = (System.nanoTime() - cutAt) / 1_000_000;
                assertTrue(fencedAfter <= leaseMs + 1000, "fenced after " + fencedAfter + " ms");
                assertEquals(503, healthReady(b), "a load balancer drops the fenced node");
                assertEquals(200, healthReady(a));

                // A statement through the cut-off node is held, not sent to the source it last knew.
                CompletableFuture<String> insert = CompletableFuture.supplyAsync(() -> {
                    try (Statement s = cb.createStatement()) {
                        s.executeUpdate("INSERT INTO app.t (id, v) VALUES (1, CONCAT('srv', @@server_id))");
                        return "ok";
                    } catch (SQLException e) {
                        return e.getErrorCode() + " " + e.getMessage();
                    }
                });
                Thread.sleep(300);
                assertFalse(insert.isDone(), "the statement is held on the fenced node: " + (insert.isDone() ? insert.join() : ""));

                FailoverReport r = a.engine().switchover(target, "test while b is cut off");
                assertTrue(r.succeeded(), r.describe());
                assertFalse(insert.isDone(), "still held while b cannot know the new source");

                relays.forEach(TcpRelay::restore);
                assertEquals("ok", insert.get(30, TimeUnit.SECONDS));
                try (Statement s = cb.createStatement(); ResultSet rs = s.executeQuery("SELECT v FROM app.t WHERE id = 1")) {
                    assertTrue(rs.next());
                    assertEquals("srv" + serverId(t, target), rs.getString(1),
                            "the held statement ran on the new source, never on " + old);
                }
                assertEquals(target, b.proxy().source().name());
                assertTrue(b.cluster().node().fencings() >= 1);
            }
        } finally {
            relays.forEach(TcpRelay::close);
        }
    }

    @Test
    @Order(4)
    void whenTheLeaderLeavesTheOtherNodeLeadsAndDecides(SandboxTopology t, Ensemble zk) throws Exception {
        BatonNode a = node(t, zk, "a");
        boolean aClosed = false;
        try (BatonNode b = node(t, zk, "b")) {
            awaitJoined(a, b);
            await("a leads", 10_000, () -> a.cluster().isLeader());
            assertFalse(b.cluster().isLeader());
            IllegalStateException refused = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                    () -> b.engine().switchover("db2", "test on a follower"));
            assertTrue(refused.getMessage().contains("not the cluster leader")
                    && refused.getMessage().contains("run on the leader, a (admin console"), refused.getMessage());
            try (io.baton.admin.console.ConsoleClient console = io.baton.admin.console.ConsoleClient.connect("127.0.0.1",
                    b.console().port(), Duration.ofSeconds(5))) {
                assertTrue(console.auth(b.config().admin.password).ok());
                io.baton.admin.console.ConsoleClient.Answer cluster = console.send("SHOW CLUSTER", line -> { });
                assertTrue(cluster.ok(), cluster.lines().toString());
                String shown = String.join("\n", cluster.lines());
                assertTrue(shown.contains("leader a") && shown.contains("follower (this)"), shown);
                for (String cmd : List.of("FAILOVER FORCE", "SWITCHOVER TO db2", "PAUSE", "REJOIN db2")) {
                    io.baton.admin.console.ConsoleClient.Answer no = console.send(cmd, line -> { });
                    assertFalse(no.ok(), cmd);
                    assertTrue(no.message().contains("not the cluster leader") && no.message().contains("admin console 127.0.0.1:"
                            + a.console().port()), cmd + ": " + no.message());
                }
                assertTrue(a.proxy().isGateOpen(), "FAILOVER FORCE on a follower fenced nothing and closed no gate");
            }
            a.close();
            aClosed = true;
            long t0 = System.nanoTime();
            BatonConfig.Cluster k = b.config().cluster;
            await("b leads", k.sessionTimeout.toMillis() + 1000, () -> b.cluster().isLeader());
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms <= k.sessionTimeout.toMillis() + 1000, "new leader after " + ms + " ms");
            assertEquals(1, b.cluster().members().size());
        } finally {
            if (!aClosed) {
                a.close();
            }
        }
    }

    /**
     * The leader dies between the promotion and the route (its ZooKeeper session ends, it does nothing more): the
     * record still names the old source, read-only now, with the gate closed. The next leader finds the plan the
     * dead one recorded and finishes it: route to the promoted server, open, repoint the old source. Without it,
     * every statement would wait for an operator.
     */
    @Test
    @Order(4)
    void aSwitchoverWhoseLeaderDiesAfterThePromotionIsFinishedByTheNextLeader(SandboxTopology t, Ensemble zk)
            throws Exception {
        leaderDiesInASwitchover(t, zk, "route to the new source", true);
    }

    /** The leader dies after making the old source read-only, before the promotion: the next one goes back to it. */
    @Test
    @Order(4)
    void aSwitchoverWhoseLeaderDiesBeforeThePromotionIsUndoneByTheNextLeader(SandboxTopology t, Ensemble zk)
            throws Exception {
        leaderDiesInASwitchover(t, zk, "promote the candidate", false);
    }

    /**
     * A failover (forced: the old source is alive and fenced read-only first) whose leader dies after the promotion,
     * before it repointed the other replica and routed: the next leader routes to the promoted server, opens, repoints
     * the other replica, and leaves the lost source for REJOIN, which then succeeds (nothing errant on it).
     */
    @Test
    @Order(4)
    void aFailoverWhoseLeaderDiesAfterThePromotionIsFinishedByTheNextLeader(SandboxTopology t, Ensemble zk)
            throws Exception {
        TopologyFile.User app = t.user("app");
        BatonNode a = node(t, zk, "a");
        java.util.concurrent.CountDownLatch dead = new java.util.concurrent.CountDownLatch(1);
        try (BatonNode b = node(t, zk, "b")) {
            awaitJoined(a, b);
            await("a leads", 10_000, () -> a.cluster().isLeader());
            String old = b.proxy().source().name();
            String target = otherReplica(t, old);
            String third = t.servers().stream().map(TopologyFile.Server::name).filter(n -> !n.equals(old) && !n.equals(target))
                    .findFirst().orElseThrow();
            ClusterWriter before = new ClusterWriter(b.proxy().port(), app.user(), app.password(), 1);
            try {
                before.awaitMore(50, 10_000);
            } finally {
                before.close();
            }
            t.awaitReplication(30);
            leaderDiesAt(a, FailoverReport.Kind.FAILOVER, "repoint the replicas", dead);
            a.monitor().fence(old); // FAILOVER FORCE: the source is alive; it is made read-only first
            CompletableFuture<FailoverReport> left = CompletableFuture.supplyAsync(() -> a.engine().failover(target, "test"));
            await("b leads", 20_000, () -> b.cluster().isLeader());
            await("b routes to " + target + " with its gate open", 20_000,
                    () -> b.proxy().source().name().equals(target) && b.proxy().isGateOpen());
            ClusterWriter after = new ClusterWriter(b.proxy().port(), app.user(), app.password(), 1_000_000);
            try {
                after.awaitMore(50, 20_000);
            } finally {
                after.close();
            }
            assertEquals(List.of(), after.errors, "errors through node b");
            FailoverReport finished = finishing(b, "failover", old, target).orElseThrow(
                    () -> new AssertionError("no finishing report on b: " + b.engine().reports().all()));
            assertTrue(finished.succeeded() && finished.isRouted(), finished.describe());
            assertTrue(finished.describe().contains("left for REJOIN: " + old), finished.describe());
            assertNoneLost(t, target, before.acked);
            assertNoneLost(t, target, after.acked);
            assertExactlyOneWritable(t, target);
            dead.countDown();
            FailoverReport zombie = left.get(60, TimeUnit.SECONDS);
            assertTrue(zombie.failure() != null && zombie.failure().contains("no longer leads"), zombie.describe());
            assertReplicatesFrom(t, third, target);
            FailoverReport rejoin = b.engine().rejoin(old, false, "test");
            assertTrue(rejoin.succeeded(), rejoin.describe());
        } finally {
            dead.countDown();
            a.close();
        }
    }

    private void leaderDiesInASwitchover(SandboxTopology t, Ensemble zk, String diesAt, boolean promoted) throws Exception {
        TopologyFile.User app = t.user("app");
        BatonNode a = node(t, zk, "a");
        java.util.concurrent.CountDownLatch dead = new java.util.concurrent.CountDownLatch(1);
        try (BatonNode b = node(t, zk, "b")) {
            awaitJoined(a, b);
            await("a leads", 10_000, () -> a.cluster().isLeader());
            String old = b.proxy().source().name();
            String target = otherReplica(t, old);
            String expected = promoted ? target : old;
            leaderDiesAt(a, FailoverReport.Kind.SWITCHOVER, diesAt, dead);
            ClusterWriter wb = new ClusterWriter(b.proxy().port(), app.user(), app.password(), 1);
            CompletableFuture<FailoverReport> left = CompletableFuture.supplyAsync(() -> a.engine().switchover(target, "test"));
            try {
                wb.awaitMore(50, 10_000);
                await("b leads", 20_000, () -> b.cluster().isLeader());
                await("b finishes", 20_000, () -> finishing(b, "switchover", old, target).isPresent());
                await("b routes to " + expected + " with its gate open", 20_000,
                        () -> b.proxy().source().name().equals(expected) && b.proxy().isGateOpen());
                wb.awaitMore(100, 20_000);
            } finally {
                wb.close();
            }
            assertEquals(List.of(), wb.errors, "errors through node b");
            FailoverReport finished = finishing(b, "switchover", old, target).orElseThrow();
            assertTrue(finished.succeeded(), finished.describe());
            RouteRecord route = b.cluster().route();
            assertEquals(expected, route.source());
            assertTrue(route.gateOpen() && route.intent() == null, route.toString());
            assertNoneLost(t, expected, wb.acked);
            assertExactlyOneWritable(t, expected);
            // The old leader, let go on, changes nothing more (no undo of its own): it no longer leads.
            dead.countDown();
            FailoverReport zombie = left.get(60, TimeUnit.SECONDS);
            assertTrue(zombie.failure() != null && zombie.failure().contains("no longer leads"), zombie.describe());
            assertExactlyOneWritable(t, expected);
            String replica = promoted ? old : target;
            assertReplicatesFrom(t, replica, expected);
        } finally {
            dead.countDown();
            a.close();
        }
    }

    /**
     * Node {@code a} "dies" as {@code step} of its next procedure of {@code kind} starts: its ZooKeeper session ends
     * (for the cluster the leader is gone) and it does nothing more until {@code dead} is counted down.
     */
    private static void leaderDiesAt(BatonNode a, FailoverReport.Kind kind, String step,
                                     java.util.concurrent.CountDownLatch dead) {
        io.baton.admin.failover.EngineFaults.inject(a.engine(), (r, s) -> {
            if (r.kind() == kind && s.equals(step)) {
                a.cluster().close();
                dead.await(60, TimeUnit.SECONDS);
                throw new io.baton.admin.failover.StepFailedException("the leader died here");
            }
        });
    }

    /** The report of {@code b} finishing the {@code kind} from {@code old} to {@code target} another node left. */
    private static java.util.Optional<FailoverReport> finishing(BatonNode b, String kind, String old, String target) {
        return b.engine().reports().all().stream()
                .filter(r -> r.trigger().startsWith("finishing the " + kind + " " + old + " -> " + target)).findFirst();
    }

    private static void assertReplicatesFrom(SandboxTopology t, String replica, String source) throws SQLException {
        try (Connection c = t.connectRoot(replica); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW REPLICA STATUS")) {
            assertTrue(rs.next(), replica + " replicates");
            assertEquals(t.server(source).port(), rs.getInt("Source_Port"), replica + " replicates from " + source);
        }
    }

    private static void assertExactlyOneWritable(SandboxTopology t, String writable) throws SQLException {
        for (TopologyFile.Server srv : t.servers()) {
            try (Connection c = t.connectRoot(srv.name()); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT @@GLOBAL.read_only")) {
                rs.next();
                assertEquals(srv.name().equals(writable), rs.getInt(1) == 0, srv.name() + " writable: " + rs.getInt(1));
            }
        }
    }

    @Test
    @Order(4)
    void aNodePausedThroughASwitchoverNeverSendsAStatementToTheOldSource(SandboxTopology t, Ensemble zk)
            throws Exception {
        TopologyFile.User app = t.user("app");
        try (BatonNode a = node(t, zk, "a")) {
            await("a leads", 10_000, () -> a.cluster().isLeader());
            try (ChildNode b = ChildNode.start(nodeConfig(t, clusterName, "b", zk.connectString()))) {
                await("b routes", 20_000, () -> a.cluster().members().stream()
                        .anyMatch(m -> m.nodeId().equals("b") && !m.fenced() && m.appliedEpoch() >= 1));
                Properties p = new Properties();
                p.setProperty("user", app.user());
                p.setProperty("password", app.password());
                p.setProperty("sslMode", "DISABLED");
                p.setProperty("socketTimeout", "60000");
                try (Connection cb = DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + b.port() + "/app", p)) {
                    String old = a.proxy().source().name();
                    String target = otherReplica(t, old);
                    try (Statement s = cb.createStatement(); ResultSet rs = s.executeQuery("SELECT @@port")) {
                        rs.next();
                        assertEquals(t.server(old).port(), rs.getInt(1), "b routes to the old source before");
                    }
                    b.pause(); // SIGSTOP: a hung machine, or a long GC pause
                    CompletableFuture<String> insert = CompletableFuture.supplyAsync(() -> {
                        try (Statement s = cb.createStatement()) {
                            s.executeUpdate("INSERT INTO app.t (id, v) VALUES (7, CONCAT('srv', @@server_id))");
                            return "ok";
                        } catch (SQLException e) {
                            return e.getErrorCode() + " " + e.getMessage();
                        }
                    });
                    FailoverReport r = a.engine().switchover(target, "test while b is paused");
                    assertTrue(r.succeeded(), r.describe());
                    assertFalse(insert.isDone(), "b is still paused");
                    b.resume(); // wakes after the cluster moved on, with the statement waiting in its socket
                    assertEquals("ok", insert.get(30, TimeUnit.SECONDS), b.logTail());
                    try (Statement s = cb.createStatement();
                         ResultSet rs = s.executeQuery("SELECT v, @@port FROM app.t WHERE id = 7")) {
                        assertTrue(rs.next());
                        assertEquals("srv" + serverId(t, target), rs.getString(1),
                                "the statement sent while b was paused ran on the new source, never on " + old);
                        assertEquals(t.server(target).port(), rs.getInt(2), "b's session moved on its next statement");
                    }
                }
            }
        }
    }

    @Test
    @Order(5)
    void killOfTheSourceUnderLoadThroughTwoNodesIsOneFailoverAndLosesNothing(SandboxTopology t, Ensemble zk)
            throws Exception {
        TopologyFile.User app = t.user("app");
        try (BatonNode a = BatonNode.start(durableNodeConfig(t, clusterName, "a", zk.connectString()), null, null);
             BatonNode b = BatonNode.start(durableNodeConfig(t, clusterName, "b", zk.connectString()), null, null)) {
            awaitJoined(a, b);
            String old = a.proxy().source().name();
            // When the leader chooses its candidate, every node holds the OKs of commits made on the lost source.
            List<String> fencedAtChoice = java.util.Collections.synchronizedList(new ArrayList<>());
            List<String> fencedStatus = java.util.Collections.synchronizedList(new ArrayList<>());
            for (BatonNode n : List.of(a, b)) {
                io.baton.admin.failover.EngineFaults.inject(n.engine(), (r, step) -> {
                    if (r.kind() == FailoverReport.Kind.FAILOVER && step.equals("choose the candidate")) {
                        fencedAtChoice.add("a:" + a.durability().fencedSource() + " b:" + b.durability().fencedSource());
                        fencedStatus.add(b.durability().status());
                    }
                });
            }
            ClusterWriter wa = new ClusterWriter(a.proxy().port(), app.user(), app.password(), 1);
            ClusterWriter wb = new ClusterWriter(b.proxy().port(), app.user(), app.password(), 1_000_000);
            // One transaction left open through each node at the kill: each node replays its own, and the
            // leader's report must name both (each node publishes its sessions' lines with its status).
            List<Connection> open = new ArrayList<>();
            String now;
            try {
                for (BatonNode n : List.of(a, b)) {
                    Connection c = DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + n.proxy().port()
                            + "/app?useSSL=false&allowPublicKeyRetrieval=true", app.user(), app.password());
                    open.add(c);
                    c.setAutoCommit(false);
                    try (Statement s = c.createStatement()) {
                        s.execute("INSERT INTO app.t (id, v) VALUES (" + (7_000_000 + open.size()) + ", 'open at the kill')");
                    }
                }
                wa.awaitMore(50, 10_000);
                wb.awaitMore(50, 10_000);
                t.kill(old);
                await("both nodes route to a new source", 20_000,
                        () -> !a.proxy().source().name().equals(old) && !b.proxy().source().name().equals(old));
                now = a.proxy().source().name();
                assertEquals(now, b.proxy().source().name(), "both nodes route to the same source");
                wa.awaitMore(100, 20_000);
                wb.awaitMore(100, 20_000);
                for (Connection c : open) {
                    c.commit();
                }
            } finally {
                wa.close();
                wb.close();
                for (Connection c : open) {
                    c.close();
                }
            }
            List<FailoverReport> failovers = new ArrayList<>();
            for (BatonNode n : List.of(a, b)) {
                n.engine().reports().all().stream().filter(r -> r.kind() == FailoverReport.Kind.FAILOVER)
                        .forEach(failovers::add);
            }
            assertEquals(1, failovers.size(), "exactly one failover in the cluster: " + failovers);
            assertTrue(failovers.get(0).succeeded(), failovers.get(0).describe());
            assertNotEquals(old, now);
            assertEquals(List.of("a:" + old + " b:" + old), fencedAtChoice, "both nodes fenced at the candidate check");
            assertEquals(null, a.durability().fencedSource(), "a lifted the fence once routed");
            assertEquals(null, b.durability().fencedSource(), "b lifted the fence once routed");
            assertEquals(1, fencedStatus.size(), fencedStatus.toString());
            assertTrue(fencedStatus.get(0).startsWith("fenced: OKs of commits made on " + old), fencedStatus.get(0));
            assertEquals("replica", b.durability().status(), "shown so only while the failover is under way");
            assertNoneLost(t, now, wa.acked);
            assertNoneLost(t, now, wb.acked);
            assertTrue(wa.acked.size() > 150 && wb.acked.size() > 150, "writes went on through both nodes");
            assertNoneLost(t, now, Set.of(7_000_001L, 7_000_002L));
            List<String> lines = failovers.get(0).sessions();
            for (String node : List.of("a", "b")) {
                assertTrue(lines.stream().anyMatch(l -> l.startsWith("node " + node + ": session ")
                        && l.contains("open transaction replayed")), "node " + node + "'s replay in the report: " + lines);
            }
            assertTrue(failovers.get(0).describe().contains("2 replayed on the new source"), failovers.get(0).describe());
        }
    }

    /** A child node, once it is in the election and routes: started first, it leads. */
    private ChildNode startFirst(SandboxTopology t, Ensemble zk, String id) throws Exception {
        ChildNode n = ChildNode.start(nodeConfig(t, clusterName, id, zk.connectString()));
        try (org.apache.zookeeper.ZooKeeper client = new org.apache.zookeeper.ZooKeeper(zk.connectString(), 4000, e -> { })) {
            String base = "/baton/" + clusterName;
            await(id + " is in the election and routes", 20_000, () -> {
                try {
                    return client.exists(base + "/leader", false) != null
                            && !client.getChildren(base + "/leader", false).isEmpty()
                            && new String(client.getData(base + "/nodes/" + id, false, null)).contains("\"fenced\":false");
                } catch (Exception e) {
                    return false;
                }
            });
        } catch (RuntimeException | Error e) {
            n.close();
            throw e;
        }
        return n;
    }

    @Test
    @Order(6)
    void killOfTheLeaderNodeAndOfTheSourceAtOnceIsOneFailoverByTheOtherNode(SandboxTopology t, Ensemble zk)
            throws Exception {
        TopologyFile.User app = t.user("app");
        try (ChildNode a = startFirst(t, zk, "a");
             BatonNode b = BatonNode.start(durableNodeConfig(t, clusterName, "b", zk.connectString()), null, null)) {
            await("a leads", 20_000, () -> "a".equals(b.cluster().leaderId()) && !b.cluster().node().fenced());
            String old = b.proxy().source().name();
            ClusterWriter wb = new ClusterWriter(b.proxy().port(), app.user(), app.password(), 1);
            BatonConfig.Cluster k = b.config().cluster;
            try {
                wb.awaitMore(50, 10_000);
                a.kill();
                t.kill(old);
                long t0 = System.nanoTime();
                await("b leads", k.sessionTimeout.toMillis() + 2000, () -> b.cluster().isLeader());
                long leaderMs = (System.nanoTime() - t0) / 1_000_000;
                assertTrue(leaderMs <= k.sessionTimeout.toMillis() + 1000, "new leader after " + leaderMs + " ms");
                await("b fails over", 20_000, () -> !b.proxy().source().name().equals(old));
                wb.awaitMore(100, 20_000);
            } finally {
                wb.close();
            }
            List<FailoverReport> failovers = b.engine().reports().all().stream()
                    .filter(r -> r.kind() == FailoverReport.Kind.FAILOVER).toList();
            assertEquals(1, failovers.size(), failovers.toString());
            assertTrue(failovers.get(0).succeeded(), failovers.get(0).describe());
            assertNoneLost(t, b.proxy().source().name(), wb.acked);
        }
    }
}
