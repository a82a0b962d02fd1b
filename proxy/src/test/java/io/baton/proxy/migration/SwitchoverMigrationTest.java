package io.baton.proxy.migration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mysql.cj.jdbc.JdbcConnection;
import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.baton.proxy.BatonFixture;
import io.baton.proxy.routing.RoutingControl.MigrationSummary;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/** Sessions move with the source at a planned switchover; the client notices nothing it need not. */
@WithSandbox(replicas = 1)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class SwitchoverMigrationTest {
    private BatonFixture baton;

    @BeforeAll
    void start(SandboxTopology t) throws Exception {
        baton = BatonFixture.start(t);
    }

    @AfterAll
    void stop() {
        baton.close();
    }

    @BeforeEach
    void reset(SandboxTopology t) throws SQLException {
        t.resetData();
    }

    private Connection connect(SandboxTopology t, String extra) throws SQLException {
        TopologyFile.User u = t.user("app");
        Properties p = new Properties();
        p.setProperty("user", u.user());
        p.setProperty("password", u.password());
        p.setProperty("sslMode", "DISABLED");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + baton.port() + "/app?" + extra, p);
    }

    private static int port(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT @@port")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    @Test
    void anIdleSessionKeepsItsStateAndPreparedStatements(SandboxTopology t) throws Exception {
        try (Connection c = connect(t, "useServerPrepStmts=true&cachePrepStmts=true"); Statement s = c.createStatement()) {
            s.execute("USE sbtest");
            s.execute("SET NAMES latin1");
            s.execute("SET SESSION sql_mode = 'ANSI_QUOTES,STRICT_ALL_TABLES'");
            s.execute("SET SESSION time_zone = '+03:00'");
            s.execute("SET SESSION transaction_isolation = 'READ-COMMITTED'");
            s.execute("SET SESSION group_concat_max_len = 4242");
            PreparedStatement ps = c.prepareStatement("SELECT ? + 1, DATABASE(), @@sql_mode, @@time_zone, "
                    + "@@transaction_isolation, @@group_concat_max_len, @@character_set_client, @@port");
            ps.setInt(1, 41);
            String before;
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                before = rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4) + "|" + rs.getString(5) + "|"
                        + rs.getString(6) + "|" + rs.getString(7);
            }
            long id = ((JdbcConnection) c).getId();
            int oldPort = port(c);

            MigrationSummary m = ServerMoves.switchover(t, baton.proxy());
            assertEquals(1, m.moved(), "the session moved");

            ps.setInt(1, 99); // the same client statement id, now prepared on the new source
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertEquals(100, rs.getInt(1));
                String after = rs.getString(2) + "|" + rs.getString(3) + "|" + rs.getString(4) + "|" + rs.getString(5) + "|"
                        + rs.getString(6) + "|" + rs.getString(7);
                assertEquals("sbtest|ANSI_QUOTES,STRICT_ALL_TABLES|+03:00|READ-COMMITTED|4242|latin1", before);
                assertEquals(before, after, "schema, character set and session variables travelled");
                assertTrue(rs.getInt(8) != oldPort, "now served by the new source");
            }
            assertEquals(id, ((JdbcConnection) c).getId(), "same session, no reconnect");
            ps.close();
        }
    }

    /** COM_RESET_CONNECTION turns the server's trackers off: Baton turns them on again, so what follows still moves. */
    @Test
    void aSessionResetByItsPoolStillMovesWithItsState(SandboxTopology t) throws Exception {
        try (Connection c = connect(t, ""); Statement s = c.createStatement()) {
            ((JdbcConnection) c).resetServerState(); // COM_RESET_CONNECTION
            s.execute("USE sbtest");
            s.execute("SET SESSION sql_mode = 'ANSI_QUOTES'");
            int oldPort = port(c);
            MigrationSummary m = ServerMoves.switchover(t, baton.proxy());
            assertEquals(1, m.moved(), "the session moved");
            try (ResultSet rs = s.executeQuery("SELECT DATABASE(), @@sql_mode, @@port")) {
                rs.next();
                assertEquals("sbtest|ANSI_QUOTES", rs.getString(1) + "|" + rs.getString(2),
                        "schema and variables set after the reset travelled");
                assertTrue(rs.getInt(3) != oldPort, "now served by the new source");
            }
        }
    }

    /** Still open when the gate's wait runs out, a transaction is replayed on the new source (docs/replay.md). */
    @Test
    void aTransactionOpenAtTheSwitchIsReplayedOnTheNewSource(SandboxTopology t) throws Exception {
        try (Connection c = connect(t, ""); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE app.tx (id INT PRIMARY KEY)");
            int oldPort = port(c); // outside the transaction: a read of @@port inside it would not be replayed
            c.setAutoCommit(false);
            s.execute("INSERT INTO app.tx VALUES (1)");
            ServerMoves.switchover(t, baton.proxy()); // awaitNoOpenTransactions gives up after its bound
            s.execute("INSERT INTO app.tx VALUES (2)");
            c.commit();
            c.setAutoCommit(true);
            assertTrue(port(c) != oldPort, "now served by the new source");
            try (ResultSet rs = s.executeQuery("SELECT GROUP_CONCAT(id ORDER BY id) FROM app.tx")) {
                rs.next();
                assertEquals("1,2", rs.getString(1), "the whole transaction committed on the new source, once");
            }
        }
    }

    @Test
    void aTransactionThatCannotBeReplayedIsRolledBackAndTheSessionGoesOn(SandboxTopology t) throws Exception {
        try (Connection c = connect(t, ""); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE app.tx2 (id INT PRIMARY KEY)");
            c.setAutoCommit(false);
            s.execute("INSERT INTO app.tx2 VALUES (1)");
            s.executeQuery("SELECT NOW(6)").close(); // the client saw the clock: a replay would show it another time
            ServerMoves.switchover(t, baton.proxy());
            SQLException e = assertThrows(SQLException.class, () -> s.execute("INSERT INTO app.tx2 VALUES (2)"));
            assertEquals(1213, e.getErrorCode());
            assertEquals("40001", e.getSQLState());
            assertTrue(e.getMessage().contains("rolled back by failover") && e.getMessage().contains("NOW"), e.getMessage());
            c.rollback();
            s.execute("INSERT INTO app.tx2 VALUES (3)");
            c.commit();
            try (ResultSet rs = s.executeQuery("SELECT GROUP_CONCAT(id) FROM app.tx2")) {
                rs.next();
                assertEquals("3", rs.getString(1), "no half of the first transaction survived");
            }
        }
    }

    @Test
    void aSessionWithATemporaryTableIsToldWhyItCannotMove(SandboxTopology t) throws Exception {
        try (Connection c = connect(t, ""); Statement s = c.createStatement()) {
            s.execute("CREATE TEMPORARY TABLE tmp (id INT)");
            MigrationSummary m = ServerMoves.switchover(t, baton.proxy());
            assertEquals(1, m.failed());
            SQLException e = assertThrows(SQLException.class, () -> s.executeQuery("SELECT 1"));
            assertTrue(e.getMessage().contains("temporary tables"), e.getMessage());
        }
    }

    @Test
    void aHikariPoolOf16ThreadsThroughTenSwitchoversSeesNoErrors(SandboxTopology t) throws Exception {
        try (Connection c = connect(t, ""); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE app.w (id BIGINT PRIMARY KEY, v VARCHAR(20))");
        }
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl("jdbc:mysql://127.0.0.1:" + baton.port() + "/app?sslMode=DISABLED&useServerPrepStmts=true&cachePrepStmts=true");
        hc.setUsername(t.user("app").user());
        hc.setPassword(t.user("app").password());
        hc.setMaximumPoolSize(16);
        hc.setMinimumIdle(16);
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong nextId = new AtomicLong();
        Set<Long> acknowledged = ConcurrentHashMap.newKeySet();
        AtomicInteger errors = new AtomicInteger();
        List<String> firstErrors = new ArrayList<>();
        ExecutorService workers = Executors.newFixedThreadPool(16);
        try (HikariDataSource ds = new HikariDataSource(hc)) {
            List<Future<?>> fs = new ArrayList<>();
            for (int w = 0; w < 16; w++) {
                fs.add(workers.submit(() -> {
                    while (!stop.get()) {
                        long id = nextId.incrementAndGet();
                        try (Connection c = ds.getConnection()) {
                            try (PreparedStatement ps = c.prepareStatement("INSERT INTO app.w VALUES (?, ?)")) {
                                ps.setLong(1, id);
                                ps.setString(2, "v" + id);
                                ps.executeUpdate();
                            }
                            acknowledged.add(id);
                            try (PreparedStatement ps = c.prepareStatement("SELECT v FROM app.w WHERE id = ?")) {
                                ps.setLong(1, id);
                                try (ResultSet rs = ps.executeQuery()) {
                                    rs.next();
                                }
                            }
                        } catch (SQLException e) {
                            errors.incrementAndGet();
                            synchronized (firstErrors) {
                                if (firstErrors.size() < 5) {
                                    firstErrors.add(e.getErrorCode() + " " + e.getMessage());
                                }
                            }
                        }
                    }
                    return null;
                }));
            }
            for (int i = 0; i < 10; i++) {
                Thread.sleep(300);
                MigrationSummary m = ServerMoves.switchover(t, baton.proxy());
                assertEquals(0, m.failed(), "switchover " + i + ": " + m);
            }
            Thread.sleep(300);
            stop.set(true);
            for (Future<?> f : fs) {
                f.get(30, TimeUnit.SECONDS);
            }
            assertEquals(0, errors.get(), "client-visible errors: " + firstErrors);
            assertEquals(16, ds.getHikariPoolMXBean().getTotalConnections(), "no connection was replaced");
        } finally {
            workers.shutdownNow();
        }
        TopologyFile.Server src = t.currentSource();
        try (Connection c = t.connect(src.name(), "app"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM app.w")) {
            Set<Long> present = new java.util.HashSet<>();
            while (rs.next()) {
                present.add(rs.getLong(1));
            }
            assertTrue(present.containsAll(acknowledged), "every acknowledged write is on the new source");
            assertTrue(acknowledged.size() > 50, "the load ran: " + acknowledged.size());
        }
        assertNull(null);
    }
}
