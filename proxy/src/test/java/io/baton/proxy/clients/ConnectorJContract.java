package io.baton.proxy.clients;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mysql.cj.jdbc.JdbcConnection;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLTimeoutException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Connector/J client matrix. Each subclass runs it against one flavor, either straight against
 * the server or through Baton: the same assertions must hold both ways.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
abstract class ConnectorJContract {
    Target target;

    abstract boolean throughBaton();

    @BeforeAll
    void start(SandboxTopology t) throws Exception {
        target = throughBaton() ? Target.throughBaton(t) : Target.direct(t);
    }

    @AfterAll
    void stop() {
        if (target != null) {
            target.close();
        }
    }

    @BeforeEach
    void reset(SandboxTopology t) throws SQLException {
        t.resetData();
    }

    Connection connect(String userKey, String extra) throws SQLException {
        TopologyFile.User u = target.user(userKey);
        Properties p = new Properties();
        p.setProperty("user", u.user());
        p.setProperty("password", u.password());
        p.setProperty("sslMode", "DISABLED");
        p.setProperty("allowPublicKeyRetrieval", "true");
        p.setProperty("connectTimeout", "5000");
        p.setProperty("socketTimeout", "60000");
        String url = "jdbc:mysql://" + target.host() + ":" + target.port() + "/app" + (extra.isEmpty() ? "" : "?" + extra);
        return DriverManager.getConnection(url, p);
    }

    Connection connect() throws SQLException {
        return connect("app", "");
    }

    @Test
    void plainQueriesAndTheServerVersion() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(50))");
            assertEquals(2, s.executeUpdate("INSERT INTO t VALUES (1, 'one'), (2, 'two')"));
            try (ResultSet rs = s.executeQuery("SELECT v FROM t ORDER BY id")) {
                assertTrue(rs.next());
                assertEquals("one", rs.getString(1));
                assertTrue(rs.next());
                assertEquals("two", rs.getString(1));
                assertFalse(rs.next());
            }
            String version = c.getMetaData().getDatabaseProductVersion();
            assertTrue(version.contains(target.topology().file().version().split("-")[0]), version);
            assertEquals(target.isBaton(), version.endsWith("-baton"), version);
            assertEquals(1, s.executeUpdate("UPDATE t SET v = 'uno' WHERE id = 1"));
        }
    }

    @Test
    void serverSidePreparedStatementsWithACache() throws Exception {
        try (Connection c = connect("app", "useServerPrepStmts=true&cachePrepStmts=true")) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE p (id INT PRIMARY KEY, name VARCHAR(20), amount DECIMAL(10,2), at DATETIME, data BLOB)");
            }
            for (int round = 0; round < 3; round++) {
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO p VALUES (?, ?, ?, NOW(), ?)")) {
                    for (int i = 0; i < 20; i++) {
                        int id = round * 100 + i;
                        ps.setInt(1, id);
                        ps.setString(2, "n" + id);
                        ps.setBigDecimal(3, new java.math.BigDecimal(id + ".25"));
                        ps.setBytes(4, new byte[] {(byte) id, 1, 2});
                        assertEquals(1, ps.executeUpdate());
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT name, amount, data FROM p WHERE id = ?")) {
                for (int id : new int[] {0, 105, 219}) {
                    ps.setInt(1, id);
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next());
                        assertEquals("n" + id, rs.getString(1));
                        assertEquals(new java.math.BigDecimal(id + ".25"), rs.getBigDecimal(2));
                        assertArrayEquals(new byte[] {(byte) id, 1, 2}, rs.getBytes(3));
                    }
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT COUNT(*) FROM p WHERE id >= ?")) {
                ps.setInt(1, 0);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertEquals(60, rs.getInt(1));
                }
            }
        }
    }

    @Test
    void clientSidePreparedStatementsAndBatchRewrite() throws Exception {
        try (Connection c = connect("app", "useServerPrepStmts=false&rewriteBatchedStatements=true")) {
            try (Statement s = c.createStatement()) {
                s.execute("CREATE TABLE b (id INT PRIMARY KEY, v VARCHAR(20))");
            }
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO b VALUES (?, ?)")) {
                for (int i = 0; i < 500; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "it's " + i); // quoting is the client's job
                    ps.addBatch();
                }
                int[] counts = ps.executeBatch();
                assertEquals(500, counts.length);
            }
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT COUNT(*), MAX(v) FROM b")) {
                rs.next();
                assertEquals(500, rs.getInt(1));
                assertEquals("it's 99", rs.getString(2));
            }
        }
    }

    @Test
    void aBlobOf32MiBRoundTrips() throws Exception {
        byte[] blob = new byte[32 * 1024 * 1024];
        new Random(42).nextBytes(blob);
        for (String mode : new String[] {"useServerPrepStmts=true", "useServerPrepStmts=false"}) {
            try (Connection c = connect("app", mode); Statement s = c.createStatement()) {
                s.execute("DROP TABLE IF EXISTS big");
                s.execute("CREATE TABLE big (id INT PRIMARY KEY, data LONGBLOB)");
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO big VALUES (1, ?)")) {
                    ps.setBytes(1, blob);
                    assertEquals(1, ps.executeUpdate());
                }
                try (PreparedStatement ps = c.prepareStatement("SELECT data, LENGTH(data) FROM big WHERE id = ?")) {
                    ps.setInt(1, 1);
                    try (ResultSet rs = ps.executeQuery()) {
                        assertTrue(rs.next());
                        assertEquals(blob.length, rs.getInt(2));
                        assertArrayEquals(blob, rs.getBytes(1), mode);
                    }
                }
            }
        }
    }

    @Test
    void multiStatementsAndMultipleResultSets() throws Exception {
        try (Connection c = connect("app", "allowMultiQueries=true"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE m (id INT PRIMARY KEY); INSERT INTO m VALUES (1), (2), (3)");
            assertTrue(s.execute("SELECT COUNT(*) FROM m; UPDATE m SET id = id + 10 WHERE id = 3; SELECT MAX(id) FROM m"));
            try (ResultSet rs = s.getResultSet()) {
                rs.next();
                assertEquals(3, rs.getInt(1));
            }
            assertFalse(s.getMoreResults());
            assertEquals(1, s.getUpdateCount());
            assertTrue(s.getMoreResults());
            try (ResultSet rs = s.getResultSet()) {
                rs.next();
                assertEquals(13, rs.getInt(1));
            }
            assertFalse(s.getMoreResults());
            assertEquals(-1, s.getUpdateCount());
            // An error in the middle ends the batch with that error.
            SQLException e = assertThrows(SQLException.class, () -> {
                s.execute("SELECT 1; SELECT * FROM no_such_table; SELECT 3");
                while (s.getMoreResults() || s.getUpdateCount() != -1) {
                    // drain
                }
            });
            assertEquals(1146, e.getErrorCode());
            try (ResultSet rs = s.executeQuery("SELECT 42")) {
                rs.next();
                assertEquals(42, rs.getInt(1), "the session is usable after the error");
            }
        }
    }

    @Test
    void loadDataLocalInfile(@TempDir Path tmp) throws Exception {
        Path file = tmp.resolve("rows.csv");
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 20000; i++) {
            sb.append(i).append(',').append("row-").append(i).append('\n');
        }
        Files.writeString(file, sb);
        try (Connection c = connect("app", "allowLoadLocalInfile=true"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE l (id INT PRIMARY KEY, v VARCHAR(20))");
            int n = s.executeUpdate("LOAD DATA LOCAL INFILE '" + file + "' INTO TABLE l FIELDS TERMINATED BY ','");
            assertEquals(20000, n);
            // From a stream too, as applications do.
            ((com.mysql.cj.jdbc.JdbcStatement) s).setLocalInfileInputStream(
                    new ByteArrayInputStream("90000,x\n90001,y\n".getBytes(StandardCharsets.UTF_8)));
            assertEquals(2, s.executeUpdate("LOAD DATA LOCAL INFILE 'ignored' INTO TABLE l FIELDS TERMINATED BY ','"));
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM l")) {
                rs.next();
                assertEquals(20002, rs.getInt(1));
            }
        }
    }

    @Test
    void setQueryTimeoutKillsTheQueryAndTheSessionGoesOn() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.setQueryTimeout(1);
            long t0 = System.nanoTime();
            assertThrows(SQLTimeoutException.class, () -> s.executeQuery("SELECT SLEEP(20)"));
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertTrue(ms < 10_000, "KILL QUERY reached the server (took " + ms + " ms)");
            s.setQueryTimeout(0);
            try (ResultSet rs = s.executeQuery("SELECT 7")) {
                rs.next();
                assertEquals(7, rs.getInt(1));
            }
        }
    }

    @Test
    void killConnectionFromAnotherSessionUsesTheIdTheClientSaw() throws Exception {
        try (Connection victim = connect(); Connection killer = connect(); Statement k = killer.createStatement()) {
            long id = ((JdbcConnection) victim).getId();
            k.execute("KILL CONNECTION " + id);
            assertThrows(SQLException.class, () -> {
                try (Statement s = victim.createStatement()) {
                    s.executeQuery("SELECT 1");
                }
            });
            SQLException unknown = assertThrows(SQLException.class, () -> k.execute("KILL 4000000000"));
            assertEquals(1094, unknown.getErrorCode());
            if (target.isBaton()) {
                // A KILL Baton cannot read is not sent on: the server would take Baton's id for one of its threads.
                SQLException unread = assertThrows(SQLException.class, () -> k.execute("KILL 4000000000, 5"));
                assertEquals(1235, unread.getErrorCode());
                assertEquals("42000", unread.getSQLState());
                SQLException hidden = assertThrows(SQLException.class, () -> k.execute("/*!KILL " + id + " */"));
                assertEquals(1235, hidden.getErrorCode(), "a KILL in an executable comment runs as well: not read, refused");
                try (ResultSet rs = k.executeQuery("SELECT 1 /* the session goes on */")) {
                    assertTrue(rs.next());
                }
            }
        }
    }

    @Test
    void streamingAndCursorResultSets() throws Exception {
        try (Connection c = connect("app", "useServerPrepStmts=true&useCursorFetch=true"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE r (id INT PRIMARY KEY, v VARCHAR(40))");
            s.execute("SET SESSION cte_max_recursion_depth = 30000");
            s.execute("INSERT INTO r WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 20000) "
                    + "SELECT i, CONCAT('value-', i) FROM n");
        } catch (SQLException e) {
            // 5.7 has no recursive CTE: fill it with one long statement (it streams through Baton).
            try (Connection c = connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS r (id INT PRIMARY KEY, v VARCHAR(40))");
                StringBuilder sb = new StringBuilder("INSERT INTO r VALUES ");
                for (int i = 1; i <= 20000; i++) {
                    sb.append(i > 1 ? "," : "").append('(').append(i).append(",'value-").append(i).append("')");
                }
                s.execute(sb.toString());
            }
        }
        try (Connection c = connect(); Statement s = c.createStatement(ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY)) {
            s.setFetchSize(Integer.MIN_VALUE); // row-by-row streaming
            long sum = 0;
            int n = 0;
            try (ResultSet rs = s.executeQuery("SELECT id, v FROM r ORDER BY id")) {
                while (rs.next()) {
                    sum += rs.getInt(1);
                    n++;
                }
            }
            assertEquals(20000, n);
            assertEquals(20000L * 20001 / 2, sum);
        }
        try (Connection c = connect("app", "useServerPrepStmts=true&useCursorFetch=true");
             PreparedStatement ps = c.prepareStatement("SELECT id FROM r WHERE id > ? ORDER BY id")) {
            ps.setFetchSize(100); // COM_STMT_EXECUTE with a cursor, then COM_STMT_FETCH
            ps.setInt(1, 19000);
            int n = 0;
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    assertEquals(19001 + n, rs.getInt(1));
                    n++;
                }
            }
            assertEquals(1000, n);
        }
    }

    @Test
    void tlsOnAndOff() throws Exception {
        TopologyFile.User u = target.user("app");
        Properties p = new Properties();
        p.setProperty("user", u.user());
        p.setProperty("password", u.password());
        p.setProperty("sslMode", "REQUIRED");
        p.setProperty("enabledTLSProtocols", "TLSv1.2,TLSv1.3");
        String url = "jdbc:mysql://" + target.host() + ":" + target.port() + "/app";
        boolean serverHasTls = !target.flavor().equals("mysql57") && !target.flavor().equals("mariadb");
        if (!target.isBaton() && !serverHasTls) {
            return; // this server build has no TLS; Baton offers it regardless of the backend
        }
        // sslMode=REQUIRED fails the connection unless TLS was established with whoever answers.
        // Many logins: the client's ClientHello often arrives in the same read as its SSLRequest.
        for (int i = 0; i < (target.isBaton() ? 30 : 1); i++) {
            try (Connection c = DriverManager.getConnection(url, p); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT 1")) {
                assertTrue(rs.next());
            }
        }
        try (Connection c = connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT 2")) {
            assertTrue(rs.next());
        }
    }

    @Test
    void bothAuthPluginsAndAWrongPassword() throws Exception {
        for (String key : new String[] {"app", "app_sha2"}) {
            try (Connection c = connect(key, ""); Statement s = c.createStatement();
                 ResultSet rs = s.executeQuery("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)")) {
                rs.next();
                assertEquals(target.user(key).user(), rs.getString(1));
            }
        }
        Properties p = new Properties();
        p.setProperty("user", "app");
        p.setProperty("password", "not-the-password");
        p.setProperty("sslMode", "DISABLED");
        SQLException e = assertThrows(SQLException.class,
                () -> DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + target.port() + "/app", p));
        assertEquals(1045, e.getErrorCode());
        assertEquals("28000", e.getSQLState());
    }

    @Test
    void transactionsAndSessionStateBehaveAsOnTheServer() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE x (id INT PRIMARY KEY) ENGINE=InnoDB");
            c.setAutoCommit(false);
            s.execute("INSERT INTO x VALUES (1)");
            c.rollback();
            s.execute("INSERT INTO x VALUES (2)");
            c.commit();
            c.setAutoCommit(true);
            s.execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES'");
            s.execute("SET @v = 5");
            try (ResultSet rs = s.executeQuery("SELECT GROUP_CONCAT(id), @@session.sql_mode, @v, DATABASE() FROM x")) {
                rs.next();
                assertEquals("2", rs.getString(1));
                assertEquals("STRICT_ALL_TABLES", rs.getString(2));
                assertEquals(5, rs.getInt(3));
                assertEquals("app", rs.getString(4));
            }
            s.execute("USE sbtest");
            try (ResultSet rs = s.executeQuery("SELECT DATABASE()")) {
                rs.next();
                assertEquals("sbtest", rs.getString(1));
            }
            SQLException bad = assertThrows(SQLException.class, () -> s.execute("USE no_such_db"));
            assertTrue(bad.getErrorCode() == 1049 || bad.getErrorCode() == 1044, "error " + bad.getErrorCode());
        }
    }

    @Test
    void changeUserAndResetConnection() throws Exception {
        try (Connection c = connect("app", "useServerPrepStmts=true"); Statement s = c.createStatement()) {
            s.execute("SET @marker = 1");
            ((JdbcConnection) c).resetServerState(); // COM_RESET_CONNECTION
            try (ResultSet rs = s.executeQuery("SELECT @marker")) {
                rs.next();
                assertEquals(null, rs.getObject(1), "user variables are gone after a reset");
            }
            TopologyFile.User other = target.user("app_sha2");
            ((JdbcConnection) c).changeUser(other.user(), other.password()); // COM_CHANGE_USER
            try (Statement s2 = c.createStatement();
                 ResultSet rs = s2.executeQuery("SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)")) {
                rs.next();
                assertEquals(other.user(), rs.getString(1));
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT ? + 1")) {
                ps.setInt(1, 41);
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    assertEquals(42, rs.getInt(1));
                }
            }
        }
    }

    /** A session's own wait_timeout ends it after that much idleness, as on a server; a session without one goes on. */
    @Test
    void aSessionsOwnWaitTimeoutEndsItWhenIdle() throws Exception {
        try (Connection idle = connect(); Connection other = connect(); Statement s = idle.createStatement();
             Statement o = other.createStatement()) {
            s.execute("SET SESSION wait_timeout = 1");
            Thread.sleep(2_500);
            SQLException e = assertThrows(SQLException.class, () -> s.executeQuery("SELECT 1").close(),
                    "an idle session past its wait_timeout is closed");
            assertFalse(idle.isValid(2), "closed: " + e.getMessage());
            try (ResultSet rs = o.executeQuery("SELECT 1")) {
                assertTrue(rs.next(), "a session idle as long without its own wait_timeout goes on");
            }
        }
    }

    /**
     * The id of the handshake is the one the session sees everywhere: CONNECTION_ID() (text and prepared, with its
     * column name), its row of SHOW PROCESSLIST and of information_schema.PROCESSLIST, and KILL takes it.
     */
    @Test
    void theHandshakesIdIsTheOneStatementsSee() throws Exception {
        try (Connection c = connect("app", "useServerPrepStmts=true"); Connection other = connect();
             Statement st = c.createStatement(); Statement k = other.createStatement()) {
            long id = ((JdbcConnection) c).getId();
            long otherId = ((JdbcConnection) other).getId();
            try (ResultSet rs = st.executeQuery("SELECT CONNECTION_ID()")) {
                assertTrue(rs.next());
                assertEquals(id, rs.getLong(1));
                assertEquals("CONNECTION_ID()", rs.getMetaData().getColumnLabel(1));
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT CONNECTION_ID() = ?, CONNECTION_ID()")) {
                ps.setLong(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals(1, rs.getInt(1));
                    assertEquals(id, rs.getLong(2));
                }
            }
            boolean own = false;
            boolean others = false;
            try (ResultSet rs = st.executeQuery("SHOW FULL PROCESSLIST")) {
                while (rs.next()) {
                    if (rs.getLong("Id") == id) {
                        own = true;
                        assertTrue(rs.getString("Info").toUpperCase().contains("PROCESSLIST"), rs.getString("Info"));
                    }
                    others |= rs.getLong("Id") == otherId;
                }
            }
            assertTrue(own, "the session finds its own row in SHOW PROCESSLIST by its handshake id");
            assertTrue(others, "and the other session's row by that one's id");
            try (ResultSet rs = st.executeQuery("SELECT ID, INFO FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()")) {
                assertTrue(rs.next(), "CONNECTION_ID() filters the process list as on the server");
                assertEquals(id, rs.getLong(1));
            }
            k.execute("KILL QUERY " + id); // nothing runs: OK, as on a server
            try (ResultSet rs = st.executeQuery("SELECT 1")) {
                assertTrue(rs.next());
            }
        }
    }

    @Test
    void connectionIdsAreDistinct() throws Exception {
        try (Connection a = connect(); Connection b = connect()) {
            assertNotEquals(((JdbcConnection) a).getId(), ((JdbcConnection) b).getId());
        }
    }

    // ------------------------------------------------------------------ other clients

    @Test
    void mariadbConnectorJ() throws Exception {
        TopologyFile.User u = target.user("app");
        String url = "jdbc:mariadb://127.0.0.1:" + target.port() + "/app?useServerPrepStmts=true&allowPublicKeyRetrieval=true";
        try (Connection c = DriverManager.getConnection(url, u.user(), u.password()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE mc (id INT PRIMARY KEY, v VARCHAR(20), b BLOB)");
            try (PreparedStatement ps = c.prepareStatement("INSERT INTO mc VALUES (?, ?, ?)")) {
                for (int i = 0; i < 50; i++) {
                    ps.setInt(1, i);
                    ps.setString(2, "m" + i);
                    ps.setBytes(3, new byte[] {(byte) i});
                    ps.addBatch();
                }
                ps.executeBatch();
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT v, b FROM mc WHERE id = ?")) {
                ps.setInt(1, 42);
                try (ResultSet rs = ps.executeQuery()) {
                    assertTrue(rs.next());
                    assertEquals("m42", rs.getString(1));
                    assertArrayEquals(new byte[] {42}, rs.getBytes(2));
                }
            }
        }
    }

    @Test
    void mariadbCommandLineClient(@TempDir Path tmp) throws Exception {
        TopologyFile.User u = target.user("app");
        List<String> cmd = List.of("mariadb", "-h127.0.0.1", "-P" + target.port(), "-u" + u.user(), "-p" + u.password(),
                "--batch", "--skip-column-names", "app", "-e",
                "CREATE TABLE cli (id INT PRIMARY KEY, v TEXT); INSERT INTO cli VALUES (1, 'a'), (2, 'b'); "
                        + "UPDATE cli SET v = 'c' WHERE id = 2; SELECT GROUP_CONCAT(v ORDER BY id) FROM cli; SELECT ROW_COUNT()");
        Run r = Run.of(cmd, 60);
        assertEquals(0, r.exit, r.output);
        assertEquals(List.of("a,c", "-1"), r.output.strip().lines().toList(), r.output);
    }

    @Test
    void sysbenchOltpReadWriteWithPreparedStatements() throws Exception {
        TopologyFile.User u = target.user("app");
        List<String> base = List.of("sysbench", "oltp_read_write", "--db-driver=mysql", "--mysql-host=127.0.0.1",
                "--mysql-port=" + target.port(), "--mysql-user=" + u.user(), "--mysql-password=" + u.password(),
                "--mysql-db=sbtest", "--tables=4", "--table-size=10000");
        Run prepare = Run.of(concat(base, "prepare"), 120);
        assertEquals(0, prepare.exit, prepare.output);
        Run run = Run.of(concat(base, "--threads=1", "--time=4", "--db-ps-mode=auto", "run"), 120);
        // Exit 0: no error sysbench does not retry. One thread: no deadlocks, so no retried ("ignored") errors either.
        assertEquals(0, run.exit, run.output);
        java.util.regex.Matcher errors = java.util.regex.Pattern.compile("ignored errors:\\s+(\\d+)").matcher(run.output);
        java.util.regex.Matcher reconnects = java.util.regex.Pattern.compile("reconnects:\\s+(\\d+)").matcher(run.output);
        java.util.regex.Matcher transactions = java.util.regex.Pattern.compile("transactions:\\s+(\\d+)").matcher(run.output);
        assertTrue(errors.find() && reconnects.find() && transactions.find(), run.output);
        assertEquals("0", errors.group(1), run.output);
        assertEquals("0", reconnects.group(1), run.output);
        assertTrue(Long.parseLong(transactions.group(1)) > 0, run.output);
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.addAll(List.of(b));
        return out;
    }

    /** A command run to completion, output captured, bounded in time. */
    record Run(int exit, String output) {
        static Run of(List<String> cmd, int timeoutSeconds) throws Exception {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            java.util.concurrent.CompletableFuture<String> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
                } catch (java.io.IOException e) {
                    return e.toString();
                }
            });
            if (!p.waitFor(timeoutSeconds, java.util.concurrent.TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new AssertionError(cmd.get(0) + " did not finish within " + timeoutSeconds + " s");
            }
            return new Run(p.exitValue(), out.get());
        }
    }
}
