package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import io.netty.buffer.PooledByteBufAllocator;
import java.net.Socket;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Baton answers or closes misbehaving clients, keeps serving everyone else, and enforces its limits
 * with the errors a MySQL server would send.
 */
@WithSandbox(replicas = 0)
class BadClientsTest {

    private static Connection jdbc(int port, String user, String password) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslMode", "DISABLED");
        p.setProperty("connectTimeout", "5000");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + port + "/app", p);
    }

    private static Connection app(SandboxTopology t, int port) throws SQLException {
        TopologyFile.User u = t.user("app");
        return jdbc(port, u.user(), u.password());
    }

    private static int selectOne(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 1")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    private static void awaitNoSessions(ProxyServer p) throws InterruptedException {
        for (int i = 0; i < 200 && p.sessions().open() > 0; i++) {
            Thread.sleep(25);
        }
        assertEquals(0, p.sessions().open(), "every session slot is returned");
    }

    @Test
    void randomBytesAndTruncatedPacketsGetClosedWhileOthersAreServed(SandboxTopology t) throws Exception {
        ProxySettings s = ProxySettings.defaults().withPort(0).withLimits(100, 1 << 30, Duration.ofHours(1), Duration.ofSeconds(1));
        try (BatonFixture b = BatonFixture.start(t, s); Connection good = app(t, b.port())) {
            Random r = new Random(7);
            for (int i = 0; i < 20; i++) {
                try (RawClient c = new RawClient(b.port())) {
                    c.greeting();
                    byte[] junk = new byte[1 + r.nextInt(3000)];
                    r.nextBytes(junk);
                    c.writeRaw(junk);
                    assertTrue(c.closedWithin(5000), "random bytes end the session");
                }
                assertEquals(1, selectOne(good), "a well-behaved session is unaffected");
            }
            try (RawClient c = new RawClient(b.port())) {
                c.greeting();
                c.writeRaw(new byte[] {100, 0, 0, 1, 1, 2, 3}); // announces 100 bytes, sends 3
                byte[] err = c.readPacket();
                assertEquals(1043, RawClient.errno(err), "the login deadline answers a truncated packet");
                assertTrue(c.closedWithin(2000));
            }
            good.close();
            awaitNoSessions(b.proxy());
        }
    }

    @Test
    void aLengthPrefixOf16MiBWithNoBodyIsRefusedAtTheLimit(SandboxTopology t) throws Exception {
        ProxySettings s = ProxySettings.defaults().withPort(0).withLimits(100, 1024 * 1024, Duration.ofHours(1), Duration.ofSeconds(5));
        try (BatonFixture b = BatonFixture.start(t, s)) {
            try (RawClient c = new RawClient(b.port())) {
                c.greeting();
                c.writeRaw(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 1}); // 16 MiB login packet, no body
                assertEquals(1153, RawClient.errno(c.readPacket()));
                assertTrue(c.closedWithin(2000));
            }
            try (RawClient c = new RawClient(b.port())) {
                TopologyFile.User u = t.user("app");
                byte[] ok = c.login(u.user(), u.password(), "app");
                assertEquals(0, ok[0], "logged in");
                c.writeRaw(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0, 0x03}); // COM_QUERY of 16 MiB, no body
                assertEquals(1153, RawClient.errno(c.readPacket()));
                assertTrue(c.closedWithin(2000));
            }
            try (Connection c = app(t, b.port()); Statement st = c.createStatement()) {
                SQLException e = assertThrows(SQLException.class, () -> st.execute("SELECT '" + "x".repeat(2 * 1024 * 1024) + "'"));
                assertEquals(1153, e.getErrorCode(), "a real query over the limit: " + e.getMessage());
            }
            awaitNoSessions(b.proxy());
        }
    }

    @Test
    void aClientThatNeverFinishesTheHandshakeIsToldAndClosed(SandboxTopology t) throws Exception {
        ProxySettings s = ProxySettings.defaults().withPort(0).withLimits(100, 1 << 30, Duration.ofHours(1), Duration.ofMillis(800));
        try (BatonFixture b = BatonFixture.start(t, s); RawClient c = new RawClient(b.port())) {
            assertNotNull(c.greeting());
            long t0 = System.nanoTime();
            byte[] err = c.readPacket();
            assertEquals(1043, RawClient.errno(err));
            assertTrue((System.nanoTime() - t0) / 1_000_000 < 5000);
            assertTrue(c.closedWithin(2000));
            awaitNoSessions(b.proxy());
        }
    }

    @Test
    void aWrongPasswordIsRefusedAndNeverLogged(SandboxTopology t) throws Exception {
        Logger logger = (Logger) LoggerFactory.getLogger(ClientSession.class);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        logger.addAppender(logs);
        String secret = "Secret-Guess-" + System.nanoTime();
        try (BatonFixture b = BatonFixture.start(t)) {
            SQLException e = assertThrows(SQLException.class, () -> jdbc(b.port(), "app", secret));
            assertEquals(1045, e.getErrorCode());
            assertEquals("28000", e.getSQLState());
            SQLException nobody = assertThrows(SQLException.class, () -> jdbc(b.port(), "nobody", secret));
            assertEquals(1045, nobody.getErrorCode());
            assertEquals(2, b.proxy().metrics().refusedCount("access_denied"));
        } finally {
            logger.detachAppender(logs);
        }
        assertTrue(logs.list.stream().anyMatch(ev -> ev.getFormattedMessage().contains("access denied for user 'app'")),
                "the failed login is logged");
        assertFalse(logs.list.stream().anyMatch(ev -> ev.getFormattedMessage().contains(secret)), "never the password");
    }

    @Test
    void aThousandConnectionsOpenedAndDroppedAtOnce(SandboxTopology t) throws Exception {
        try (BatonFixture b = BatonFixture.start(t); Connection good = app(t, b.port())) {
            long directBefore = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            ExecutorService pool = Executors.newFixedThreadPool(50);
            List<Future<?>> done = new ArrayList<>();
            for (int i = 0; i < 1000; i++) {
                int n = i;
                done.add(pool.submit(() -> {
                    try (Socket s = new Socket("127.0.0.1", b.port())) {
                        if (n % 2 == 0) {
                            s.getInputStream().read(new byte[16]); // half of them wait for the greeting
                        }
                        if (n % 3 == 0) {
                            s.getOutputStream().write(new byte[] {50, 0, 0, 1, 9, 9}); // and some send half a login
                        }
                    }
                    return null;
                }));
            }
            for (int i = 0; i < 100; i++) {
                assertEquals(1, selectOne(good), "served during the storm");
            }
            for (Future<?> f : done) {
                f.get(30, TimeUnit.SECONDS);
            }
            pool.shutdown();
            awaitNoSessions2(b.proxy(), 1);
            assertEquals(1, selectOne(good));
            long directAfter = PooledByteBufAllocator.DEFAULT.metric().usedDirectMemory();
            assertTrue(directAfter - directBefore < 64L * 1024 * 1024,
                    "buffers stay bounded: " + (directAfter - directBefore) + " bytes more");
        }
    }

    private static void awaitNoSessions2(ProxyServer p, int expected) throws InterruptedException {
        for (int i = 0; i < 400 && p.sessions().open() > expected; i++) {
            Thread.sleep(25);
        }
        assertEquals(expected, p.sessions().open(), "only the well-behaved session remains");
    }

    @Test
    void maxConnectionsGetsTheServersError(SandboxTopology t) throws Exception {
        ProxySettings s = ProxySettings.defaults().withPort(0).withLimits(3, 1 << 30, Duration.ofHours(1), Duration.ofSeconds(5));
        try (BatonFixture b = BatonFixture.start(t, s)) {
            List<Connection> held = new ArrayList<>();
            try {
                for (int i = 0; i < 3; i++) {
                    held.add(app(t, b.port()));
                }
                SQLException e = assertThrows(SQLException.class, () -> app(t, b.port()));
                assertEquals(1040, e.getErrorCode());
                assertEquals("08004", e.getSQLState());
                assertEquals(1, b.proxy().metrics().refusedCount("max_connections"));
                held.remove(0).close();
                awaitNoSessions2(b.proxy(), 2);
                held.add(app(t, b.port()));
                assertEquals(1, selectOne(held.get(held.size() - 1)));
            } finally {
                for (Connection c : held) {
                    c.close();
                }
            }
        }
    }

    @Test
    void anIdleSessionIsClosedWithTheInactivityError(SandboxTopology t) throws Exception {
        ProxySettings s = ProxySettings.defaults().withPort(0).withLimits(100, 1 << 30, Duration.ofMillis(700), Duration.ofSeconds(5));
        try (BatonFixture b = BatonFixture.start(t, s); RawClient c = new RawClient(b.port())) {
            TopologyFile.User u = t.user("app");
            assertEquals(0, c.login(u.user(), u.password(), "app")[0]);
            assertEquals(4031, RawClient.errno(c.readPacket()), "ER_CLIENT_INTERACTION_TIMEOUT, as MySQL 8.0 sends");
            assertTrue(c.closedWithin(2000));
            awaitNoSessions(b.proxy());
        }
    }
}
