package io.baton.admin.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.node.TestNodes;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The two ways a source is found dead. A crashed mysqld on a live host refuses connections and its
 * sessions' connections end at once: the proxy tells the monitor, which checks at once and then every
 * monitor.fastInterval, so failedChecks run out in a fraction of monitor.interval. A stalled source
 * (SIGSTOP: its connections stay open, it answers nothing) is only checked at the interval, its replicas
 * still hold their connection to it, and it is never failed over: its writes resume when it does.
 */
@WithSandbox(replicas = 1, flavor = "mysql80", mode = "gtid")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class Mysql80CrashDetectionTest {

    private static BatonNode start(SandboxTopology t, Consumer<BatonConfig> tune) throws Exception {
        BatonConfig c = TestNodes.config(t);
        tune.accept(c);
        c.validate("test");
        return BatonNode.start(c, null, null);
    }

    private static Connection app(BatonNode n, SandboxTopology t) throws SQLException {
        TopologyFile.User u = t.user("app");
        return Sql.connect("127.0.0.1", n.proxy().port(), u.user(), u.password(), 2000);
    }

    private static void awaitSeen(BatonNode n, int servers) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (n.monitor().snapshot().servers().stream().filter(s -> s.reachable()).count() < servers) {
            assertTrue(System.nanoTime() < deadline, "the monitor sees every server");
            Thread.sleep(20);
        }
    }

    @Test
    @Order(1)
    void aStalledSourceIsNotFailedOverAndItsWritesResume(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        try (BatonNode n = start(t, c -> { })) {
            awaitSeen(n, 2);
            try (Connection c = app(n, t)) {
                Sql.exec(c, "CREATE TABLE app.t (id INT PRIMARY KEY)");
                String serverId = Sql.scalar(c, "SELECT @@server_id");
                t.pause(source);
                CompletableFuture<String> write;
                try {
                    write = CompletableFuture.supplyAsync(() -> {
                        try {
                            Sql.exec(c, "INSERT INTO app.t VALUES (1)");
                            return Sql.scalar(c, "SELECT @@server_id");
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    Thread.sleep(4_000); // 8 monitor intervals: its checks fail, its replica still holds its connection
                } finally {
                    t.resume(source);
                }
                assertEquals(serverId, write.get(20, TimeUnit.SECONDS), "the write ran on the stalled source once it woke");
                Thread.sleep(1_000);
                assertTrue(n.engine().reports().all().isEmpty(), "no failover: " + n.engine().reports().all());
                assertEquals(source, n.proxy().source().name());
            }
        }
    }

    /** FLUSH TABLES WITH READ LOCK held 4 s: the source answers its checks, only writes wait; no failover. */
    @Test
    @Order(2)
    void aSourceUnderAGlobalReadLockIsNotFailedOverAndItsWritesResume(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        try (BatonNode n = start(t, c -> { })) {
            awaitSeen(n, 2);
            try (Connection c = app(n, t); Connection root = t.connectRoot(source)) {
                Sql.exec(c, "CREATE TABLE app.ftwrl (id INT PRIMARY KEY)");
                String serverId = Sql.scalar(c, "SELECT @@server_id");
                Sql.exec(root, "FLUSH TABLES WITH READ LOCK");
                CompletableFuture<String> write;
                try {
                    write = CompletableFuture.supplyAsync(() -> {
                        try {
                            Sql.exec(c, "INSERT INTO app.ftwrl VALUES (1)");
                            return Sql.scalar(c, "SELECT @@server_id");
                        } catch (SQLException e) {
                            throw new IllegalStateException(e);
                        }
                    });
                    Thread.sleep(4_000);
                    assertFalse(write.isDone(), "the write waits for the lock");
                } finally {
                    Sql.exec(root, "UNLOCK TABLES");
                }
                assertEquals(serverId, write.get(20, TimeUnit.SECONDS), "the write ran on the same source once unlocked");
                assertTrue(n.engine().reports().all().isEmpty(), "no failover: " + n.engine().reports().all());
                assertEquals(source, n.proxy().source().name());
            }
        }
    }

    @Test
    @Order(3)
    void aCrashedSourceIsFoundWithinAFractionOfTheInterval(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        // monitor.interval 5 s: with failedChecks 3 the periodic rounds alone find the source dead 10-15 s after the
        // kill. The fast path (the sessions' connections end, then checks every fastInterval) takes a fraction of one.
        try (BatonNode n = start(t, c -> c.monitor.interval = Duration.ofSeconds(5))) {
            awaitSeen(n, 2);
            try (Connection c = app(n, t)) {
                assertFalse(Sql.scalar(c, "SELECT 1").isEmpty()); // a session with a connection to the source
                long t0 = System.nanoTime();
                t.kill(source);
                long deadline = t0 + TimeUnit.SECONDS.toNanos(30);
                while ((n.engine().reports().all().isEmpty() || n.engine().busy()) && System.nanoTime() < deadline) {
                    Thread.sleep(10);
                }
                long ms = (System.nanoTime() - t0) / 1_000_000;
                FailoverReport r = n.engine().reports().latest().orElseThrow();
                System.out.println(r.describe());
                assertTrue(r.succeeded(), r.describe());
                assertTrue(ms < 5_000, "failed over " + ms + " ms after the kill: before the monitor's next periodic round");
            }
        }
    }
}
