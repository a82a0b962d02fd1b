package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mysql.cj.jdbc.JdbcConnection;
import io.baton.proxy.routing.Endpoint;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The backend pool on a real server (docs/pool.md): sessions give their connection back between statements and
 * what the client sees stays as on a server; each pinning rule keeps the connection, and a reset frees it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class PoolScenarios {
    protected SandboxTopology topology;
    protected BatonFixture baton;
    protected Endpoint source;

    protected ProxySettings.Pool pool() {
        return new ProxySettings.Pool(true, 8, Duration.ofMillis(500), Duration.ofMillis(5), Duration.ofSeconds(3));
    }

    @BeforeAll
    void start(SandboxTopology t) throws Exception {
        topology = t;
        // A read port too: with no replica measured, reads.fallback source sends its sessions to the source.
        baton = BatonFixture.start(t, ProxySettings.defaults().withPort(0).withPool(pool())
                .withReads(new ProxySettings.Reads(io.baton.sandbox.LoopbackPorts.any(), Duration.ofSeconds(5), true,
                        ProxySettings.Consistency.EVENTUAL, Duration.ofSeconds(1))));
        TopologyFile.Server src = t.initialSource();
        source = new Endpoint(src.name(), src.host(), src.port());
    }

    @AfterAll
    void stop() {
        if (baton != null) {
            baton.close();
        }
    }

    @BeforeEach
    void reset() throws SQLException {
        topology.resetData();
    }

    protected Connection connect(String extra) throws SQLException {
        return connectTo(baton.port(), extra);
    }

    /** A session of the read-write port of the Baton on {@code port} (the class's, or a test's own). */
    protected Connection connectTo(int port, String extra) throws SQLException {
        TopologyFile.User u = topology.user("app");
        Properties p = new Properties();
        p.setProperty("user", u.user());
        p.setProperty("password", u.password());
        p.setProperty("sslMode", "DISABLED");
        p.setProperty("allowPublicKeyRetrieval", "true");
        p.setProperty("connectTimeout", "5000");
        p.setProperty("socketTimeout", "30000");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + port + "/app" + (extra.isEmpty() ? "" : "?" + extra), p);
    }

    protected static void closeAll(Connection... cs) throws SQLException {
        for (Connection c : cs) {
            if (c != null) {
                c.close();
            }
        }
    }

    /** A session of the read-only port. */
    protected Connection connectRead() throws SQLException {
        TopologyFile.User u = topology.user("app");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + baton.proxy().readPort()
                + "/app?sslMode=DISABLED&allowPublicKeyRetrieval=true", u.user(), u.password());
    }

    protected ClientSession session(Connection c) {
        return baton.proxy().sessions().get(((JdbcConnection) c).getId());
    }

    /** The first column of the first row of {@code sql}, as a number. */
    protected static long scalar(Statement s, String sql) throws java.sql.SQLException {
        try (ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Waits past pool.releaseDelay and a little more: an unpinned idle session has given its connection back. */
    protected static void idle() throws InterruptedException {
        Thread.sleep(60);
    }

    /** The tests' table with an AUTO_INCREMENT key, {@code pool_ai (id, v)}. */
    protected static void autoIncrementTable(Statement s) throws SQLException {
        s.execute("CREATE TABLE IF NOT EXISTS pool_ai (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
    }

    /** {@code c}'s session, idle past pool.releaseDelay, gave its connection back: nothing pins it. */
    protected void givesItsConnectionBack(Connection c) throws InterruptedException {
        idle();
        assertTrue(session(c).lease.released(), "unpinned: " + session(c).pinnedBecause());
    }

    /** The server thread that serves {@code c} now (0: none). */
    protected long thread(Connection c) {
        return session(c).backendThreadId();
    }

    /** A second session runs a few statements: it would take a connection given back by the first. */
    protected void busyElsewhere() throws Exception {
        try (Connection o = connect(""); Statement s = o.createStatement()) {
            for (int i = 0; i < 5; i++) {
                s.executeQuery("SELECT 1").close();
            }
        }
    }

    @Test
    void anIdleSessionGivesItsConnectionBackAndGetsItsStateOnTheNext() throws Exception {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            s.execute("SET SESSION group_concat_max_len = 4321");
            autoIncrementTable(s);
            s.executeUpdate("INSERT INTO pool_ai (v) VALUES (1), (2)");
            long id = scalar(s, "SELECT LAST_INSERT_ID()");
            assertEquals(2, s.executeUpdate("UPDATE pool_ai SET v = v + 1"));
            idle();
            ClientSession cs = session(c);
            assertTrue(cs.lease.released(), "idle and unpinned: the connection went back ("
                    + cs.pinnedBecause() + ")");
            busyElsewhere();
            try (ResultSet rs = s.executeQuery("SELECT ROW_COUNT(), @@group_concat_max_len, LAST_INSERT_ID(), CONNECTION_ID()")) {
                rs.next();
                assertEquals(2, rs.getLong(1), "ROW_COUNT() of the previous statement, run on another connection");
                assertEquals(4321, rs.getLong(2), "the session's variables travel");
                assertEquals(id, rs.getLong(3), "LAST_INSERT_ID() is the session's own");
                assertEquals(((JdbcConnection) c).getId(), rs.getLong(4));
                assertEquals("ROW_COUNT()", rs.getMetaData().getColumnLabel(1));
            }
            s.executeQuery("SELECT * FROM pool_ai").close();
            idle();
            busyElsewhere();
            try (ResultSet rs = s.executeQuery("SELECT FOUND_ROWS()")) {
                rs.next();
                assertEquals(2, rs.getLong(1), "FOUND_ROWS() of the previous SELECT");
            }
            try (ResultSet rs = s.executeQuery("SHOW WARNINGS")) {
                assertTrue(!rs.next(), "no warnings of another session");
            }
        }
    }

    @Test
    void eachPinningRuleKeepsTheConnectionUntilTheSessionIsReset() throws Exception {
        String[][] rules = {
                {"CREATE TEMPORARY TABLE pool_tmp (i INT)", "temporary tables"},
                {"SELECT GET_LOCK('pool_lock', 1)", "named locks (GET_LOCK)"},
                {"SET @pool_marker = 7", "user variables"},
                {"PREPARE pool_ps FROM 'SELECT 1'", "SQL prepared statements"},
                {"  prepare pool_ps2 from 'SELECT 2'", "SQL prepared statements"},
                {"SET TRANSACTION ISOLATION LEVEL SERIALIZABLE", "SET TRANSACTION for the next transaction"},
                {"HANDLER pool_h OPEN", "open HANDLER"},
                {"SELECT LAST_INSERT_ID(99)", "LAST_INSERT_ID(expr)"},
                {"BEGIN", "transaction"},
                {"/* app */ LOCK TABLES pool_h WRITE", "table locks (LOCK TABLES)"},
                {"-- app\n# more\n  /* and */ SET TRANSACTION READ ONLY", "SET TRANSACTION for the next transaction"},
                // A comment longer than the head Baton reads (an ORM's trace, a query tag) hides nothing either.
                {"/* " + "trace ".repeat(100) + "*/ SELECT GET_LOCK('pool_lock_2', 1)", "named locks (GET_LOCK)"},
                {"/* " + "trace ".repeat(100) + "*/ LOCK TABLES pool_h READ", "table locks (LOCK TABLES)"},
                {"SELECT " + "1 AS a_long_select_list, ".repeat(30) + "GET_LOCK('pool_lock_3', 1)", "named locks (GET_LOCK)"},
                // A later statement of a multi-statement follows the rules of how a statement starts too.
                {"SELECT 1; LOCK TABLES pool_h READ", "table locks (LOCK TABLES)"},
                {"SELECT 'a;'; /* ; */ HANDLER pool_h OPEN AS pool_h3", "open HANDLER"},
        };
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS pool_h (i INT)");
        }
        for (String[] rule : rules) {
            try (Connection c = connect("allowMultiQueries=true"); Statement s = c.createStatement()) {
                s.execute(rule[0]);
                long before = thread(c);
                idle();
                busyElsewhere();
                ClientSession cs = session(c);
                assertEquals(rule[1], cs.pinnedBecause(), rule[0]);
                assertTrue(cs.holdsBackend(), rule[0] + ": keeps its connection");
                assertEquals(before, thread(c), rule[0] + ": the same server thread");
                if (rule[1].equals("transaction")) {
                    s.execute("COMMIT");
                } else {
                    ((JdbcConnection) c).resetServerState(); // COM_RESET_CONNECTION
                }
                idle();
                assertNull(cs.pinnedBecause(), rule[0] + ": free again after the reset / the end of the transaction");
                assertTrue(cs.lease.released(), rule[0] + ": gave the connection back");
            }
        }
    }

    /**
     * State that no statement text shows: a procedure that creates a temporary table and sets a user variable. The
     * server reports that the session's state changed (session_track_state_change), and names only the system
     * variable the procedure also set: after a CALL that does not explain it. The session keeps its connection, and
     * its next statements find the table and the variable: with the CALL after a comment, and as a server-side
     * prepared statement (COM_STMT_EXECUTE).
     */
    @Test
    void stateOnlyTheServerReportsPinsTheSession() throws Exception {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            s.execute("DROP PROCEDURE IF EXISTS pool_hidden_state");
            s.execute("CREATE PROCEDURE pool_hidden_state() BEGIN CREATE TEMPORARY TABLE pool_ptmp (i INT);"
                    + " INSERT INTO pool_ptmp VALUES (41); SET @pool_pv = 42; SET SESSION group_concat_max_len = 2048; END");
        }
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            s.execute("/* hidden state */ CALL pool_hidden_state()");
            keepsItsConnection(c, "SELECT (SELECT i FROM pool_ptmp), @pool_pv", 41, 42);
        }
        try (Connection c = connect("useServerPrepStmts=true");
             PreparedStatement call = c.prepareStatement("CALL pool_hidden_state()")) {
            call.execute();
            keepsItsConnection(c, "SELECT (SELECT i FROM pool_ptmp), @pool_pv", 41, 42);
        }
    }

    /**
     * A multi-statement whose first statement ends a lock (a rule of the text, with a shorter life) and whose second
     * leaves state that pins until a reset (a SQL prepared statement): it pins. A KILL cannot be one of its statements:
     * its id is Baton's, read only in a statement of its own.
     */
    @Test
    void aLaterStatementOfAMultiStatementPins() throws Exception {
        try (Connection c = connect("allowMultiQueries=true"); Statement s = c.createStatement()) {
            s.execute("SELECT RELEASE_ALL_LOCKS(); PREPARE pool_mps FROM 'SELECT 7, 8'");
            keepsItsConnection(c, "EXECUTE pool_mps", 7, 8, "SQL prepared statements");
            SQLException kill = assertThrows(SQLException.class, () -> s.execute("SELECT 1; KILL " + thread(c)));
            assertEquals(1235, kill.getErrorCode(), kill.getMessage());
            assertEquals(7, scalar(s, "SELECT 7"), "the session goes on");
        }
    }

    /**
     * A long multi-statement of plain statements (a driver's batch of UPDATEs, collected whole up to 1 MiB) does not pin;
     * one that Baton cannot split with a rule's word in it does.
     */
    @Test
    void aLongBatchOfPlainStatementsDoesNotPin() throws Exception {
        try (Connection c = connect("allowMultiQueries=true"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS pool_batch (i INT PRIMARY KEY, v INT)");
            s.execute("INSERT INTO pool_batch VALUES (1, 0)");
            StringBuilder batch = new StringBuilder();
            for (int i = 0; i < 3000; i++) {
                batch.append("UPDATE pool_batch SET v = ").append(i).append(" WHERE i = 1;");
            }
            s.execute(batch.toString());
            while (s.getMoreResults() || s.getUpdateCount() != -1) {
                // every statement's answer
            }
            givesItsConnectionBack(c);
            assertEquals(2999, scalar(s, "SELECT v FROM pool_batch WHERE i = 1"));
            // A routine's text: its body's statements (a handler, a transaction, a locking read) do not run now.
            s.execute("DROP PROCEDURE IF EXISTS pool_body");
            s.execute("CREATE PROCEDURE pool_body() BEGIN DECLARE EXIT HANDLER FOR SQLEXCEPTION ROLLBACK;"
                    + " START TRANSACTION; SELECT v FROM pool_batch WHERE i = 1 LOCK IN SHARE MODE; COMMIT; END");
            givesItsConnectionBack(c);
            // Over 1 MiB a text may be relayed as it arrives, read only as far as it has: a rule at its end is never
            // missed (read whole, it pins by the rule; read in part, it pins as not read).
            String pad = "/* " + "x".repeat(1000) + " */";
            s.execute(("DO 0 " + pad + ";").repeat(1100) + "LOCK TABLES pool_batch READ");
            while (s.getMoreResults() || s.getUpdateCount() != -1) {
                // every statement's answer
            }
            idle();
            busyElsewhere();
            String why = session(c).pinnedBecause();
            assertTrue("multi-statement not read".equals(why) || "table locks (LOCK TABLES)".equals(why), why);
            s.execute("UNLOCK TABLES");
            ((JdbcConnection) c).resetServerState();
            givesItsConnectionBack(c);
            // What follows a routine's END runs now: a rule there pins.
            s.execute("DROP PROCEDURE IF EXISTS pool_body");
            s.execute("CREATE PROCEDURE pool_body() BEGIN SELECT 1; END; LOCK TABLES pool_batch READ");
            idle();
            assertEquals("multi-statement not read", session(c).pinnedBecause());
            s.execute("UNLOCK TABLES");
            ((JdbcConnection) c).resetServerState();
            s.execute("DROP PROCEDURE IF EXISTS pool_body");
            // Under NO_BACKSLASH_ESCAPES the server ends the string where Baton reads an escaped quote: Baton cannot
            // tell the statements apart, sees the rule's words, and keeps the connection (and takes the lock to hold).
            s.execute("SET SESSION sql_mode = 'NO_BACKSLASH_ESCAPES'");
            s.execute("SELECT 'C:\\'; LOCK TABLES pool_batch READ");
            idle();
            busyElsewhere();
            assertEquals("multi-statement not read", session(c).pinnedBecause());
            assertEquals("the session holds table locks (LOCK TABLES)", session(c).state().unmovableReason());
            s.execute("UNLOCK TABLES");
        }
    }

    /**
     * COM_SET_OPTION turns multi-statements on for the server connection, whatever the session's login said: the
     * session keeps that connection until it sets the option back (another session would run statements its own login
     * refuses).
     */
    @Test
    void aSessionThatTurnsMultiStatementsOnKeepsItsConnection() throws Exception {
        TopologyFile.User u = topology.user("app");
        try (RawClient a = new RawClient(baton.port())) {
            assertEquals(0, a.login(u.user(), u.password(), "app")[0]);
            // COM_SET_OPTION: 0x1B, option<2> (0: MYSQL_OPTION_MULTI_STATEMENTS_ON); answered with an EOF
            a.writePacket(0, new byte[] {0x1B, 0, 0});
            byte[] answer = a.readPacket();
            assertTrue((answer[0] & 0xFF) == 0xFE || answer[0] == 0, "set: " + answer[0]);
            idle();
            ClientSession cs = baton.proxy().sessions().all().stream()
                    .filter(x -> "multi-statement option set".equals(x.pinnedBecause())).findFirst().orElseThrow();
            assertTrue(cs.holdsBackend(), "keeps its connection");
            // Set back as its login had it (a driver does so around a batch): the connection may be shared again.
            a.writePacket(0, new byte[] {0x1B, 1, 0});
            answer = a.readPacket();
            assertTrue((answer[0] & 0xFF) == 0xFE || answer[0] == 0, "set back: " + answer[0]);
            idle();
            assertNull(cs.pinnedBecause());
            assertTrue(cs.lease.released(), "gave its connection back");
        }
    }

    /**
     * A refused KILL runs nothing, so it changes nothing Baton knows of the session (its lock stays held); in a long
     * multi-statement the named-lock calls count in the order of the whole text, whichever statement they are in.
     */
    @Test
    void aRefusedKillChangesNothingAndNamedLocksFollowTheWholeText() throws Exception {
        try (Connection c = connect("allowMultiQueries=true"); Statement s = c.createStatement()) {
            s.execute("SELECT GET_LOCK('pool_kr', 1)");
            SQLException kill = assertThrows(SQLException.class, () -> s.execute("KILL 4000000000; DO RELEASE_ALL_LOCKS()"));
            assertEquals(1235, kill.getErrorCode(), kill.getMessage());
            idle();
            assertEquals("named locks (GET_LOCK)", session(c).pinnedBecause(), "the refused text ran nothing");
            s.execute("DO RELEASE_ALL_LOCKS()");
            givesItsConnectionBack(c);
            s.execute("SELECT 1; DO RELEASE_ALL_LOCKS(); SELECT " + "1 AS a_long_select_list, ".repeat(30)
                    + "GET_LOCK('pool_kr2', 0)");
            idle();
            busyElsewhere();
            assertEquals("named locks (GET_LOCK)", session(c).pinnedBecause(), "the last call in the text takes a lock");
            assertEquals(0, scalar(s, "SELECT IS_FREE_LOCK('pool_kr2')"), "held");
        }
    }

    /** {@code c}'s session kept its connection past an idle moment, {@code check} answers {@code a, b}, and a reset frees it. */
    private void keepsItsConnection(Connection c, String check, int a, int b) throws Exception {
        keepsItsConnection(c, check, a, b, "session state the server reported");
    }

    private void keepsItsConnection(Connection c, String check, int a, int b, String why) throws Exception {
        long before = thread(c);
        idle();
        busyElsewhere();
        ClientSession cs = session(c);
        assertEquals(why, cs.pinnedBecause());
        assertEquals(before, thread(c), "the same server thread");
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(check)) {
            rs.next();
            assertEquals(a, rs.getInt(1), check);
            assertEquals(b, rs.getInt(2), check);
        }
        ((JdbcConnection) c).resetServerState(); // COM_RESET_CONNECTION
        idle();
        assertNull(cs.pinnedBecause(), "free again after the reset");
        assertTrue(cs.lease.released(), "gave the connection back");
    }

    /**
     * Server-side prepared statements do not pin: a statement is prepared on a connection the first time the session
     * runs it there, the client keeps its ids, and two sessions sharing a connection bind their own parameter types.
     */
    @Test
    void preparedStatementsFollowTheSessionFromConnectionToConnection() throws Exception {
        try (Connection a = connect("useServerPrepStmts=true&cachePrepStmts=true");
             Connection b = connect("useServerPrepStmts=true&cachePrepStmts=true");
             PreparedStatement pa = a.prepareStatement("SELECT ?, CONNECTION_ID()");
             PreparedStatement pb = b.prepareStatement("SELECT ?, CONNECTION_ID()")) {
            for (int round = 0; round < 20; round++) {
                pa.setInt(1, round);
                try (ResultSet rs = pa.executeQuery()) {
                    rs.next();
                    assertEquals(round, rs.getInt(1));
                    assertEquals(((JdbcConnection) a).getId(), rs.getLong(2));
                }
                pb.setString(1, "b" + round);
                try (ResultSet rs = pb.executeQuery()) {
                    rs.next();
                    assertEquals("b" + round, rs.getString(1), "session b's own parameter type and value");
                    assertEquals(((JdbcConnection) b).getId(), rs.getLong(2));
                }
                if (round % 5 == 0) {
                    idle();
                    assertNull(session(a).pinnedBecause(), "prepared statements do not pin");
                    assertTrue(session(a).lease.released());
                    busyElsewhere();
                }
            }
            try (PreparedStatement late = a.prepareStatement("SELECT ? * 2")) {
                idle();
                busyElsewhere();
                late.setInt(1, 21);
                try (ResultSet rs = late.executeQuery()) {
                    rs.next();
                    assertEquals(42, rs.getInt(1), "a statement prepared on one connection runs on another");
                }
            }
        }
    }

    /**
     * A statement prepared on one connection that the server refuses to prepare on the next (its table was dropped)
     * answers the execute with the server's error; the session keeps its connection and its open transaction.
     */
    @Test
    void aStatementThatCannotBePreparedAgainFailsAloneAndTheTransactionLives() throws Exception {
        try (Connection a = connect("useServerPrepStmts=true"); Connection other = connect("");
             Statement sa = a.createStatement(); Statement so = other.createStatement()) {
            so.execute("CREATE TABLE IF NOT EXISTS pool_gone (id INT PRIMARY KEY)");
            so.execute("CREATE TABLE IF NOT EXISTS pool_kept (id INT PRIMARY KEY)");
            PreparedStatement ps = a.prepareStatement("SELECT id FROM pool_gone WHERE id = ?");
            ps.setInt(1, 1);
            ps.executeQuery().close();
            long first = thread(a);
            idle();
            try (Connection root = topology.connectRoot(topology.initialSource().name()); Statement r = root.createStatement()) {
                r.execute("KILL " + first); // the connection that knows the statement goes away while parked
            }
            Thread.sleep(100);
            sa.execute("BEGIN");
            sa.executeUpdate("INSERT INTO pool_kept VALUES (7)");
            assertTrue(thread(a) != first, "a runs on a connection that never saw the statement");
            so.execute("DROP TABLE pool_gone");
            SQLException e = assertThrows(SQLException.class, ps::executeQuery);
            assertEquals(1146, e.getErrorCode(), e.getMessage());
            assertEquals("transaction", session(a).pinnedBecause(), "still inside its transaction");
            sa.execute("COMMIT");
            try (ResultSet rs = so.executeQuery("SELECT COUNT(*) FROM pool_kept WHERE id = 7")) {
                rs.next();
                assertEquals(1, rs.getInt(1), "the transaction's insert committed with it");
            }
        }
    }

    /** Also past a COM_PING (a pool's validation), which is not a statement: it leaves the server's warnings. */
    @Test
    void warningsStayWithTheSessionUntilItsNextStatement() throws Exception {
        for (boolean ping : new boolean[] {false, true}) {
            try (Connection c = connect("jdbcCompliantTruncation=false"); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS pool_w (v TINYINT)");
                s.execute("SET SESSION sql_mode = ''");
                s.executeUpdate("INSERT INTO pool_w VALUES (1000)"); // out of range: a warning
                if (ping) {
                    assertTrue(c.isValid(5)); // COM_PING
                }
                idle();
                assertEquals("warnings of the last statement", session(c).pinnedBecause());
                busyElsewhere();
                try (ResultSet rs = s.executeQuery("SHOW WARNINGS")) {
                    assertTrue(rs.next(), "the session's own warning" + (ping ? ", past the ping" : ""));
                    assertEquals(1264, rs.getInt("Code"));
                }
            }
        }
    }

    /**
     * CALL's OK says insert id 0 whatever the procedure inserted: LAST_INSERT_ID() is asked of the connection before it
     * goes back, so the session keeps the procedure's id and the next session on that connection does not see it.
     */
    @Test
    void aProcedureThatInsertsKeepsItsLastInsertIdToItsSession() throws Exception {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            autoIncrementTable(s);
            s.execute("DROP PROCEDURE IF EXISTS pool_ins");
            s.execute("CREATE PROCEDURE pool_ins() BEGIN INSERT INTO pool_ai (v) VALUES (7); END");
        }
        for (int round = 0; round < 3; round++) {
            try (Connection c = connect(""); Statement s = c.createStatement()) {
                s.execute("CALL pool_ins()");
                long id = scalar(s, "SELECT MAX(id) FROM pool_ai");
                givesItsConnectionBack(c);
                try (Connection o = connect(""); Statement os = o.createStatement()) {
                    assertEquals(0, scalar(os, "SELECT LAST_INSERT_ID()"), "another session's LAST_INSERT_ID()");
                }
                busyElsewhere();
                assertEquals(id, scalar(s, "SELECT LAST_INSERT_ID()"), "the procedure's insert id, on another connection");
            }
        }
    }

    /** A server-side prepared statement follows the rules of its text as a COM_QUERY does. */
    @Test
    void preparedStatementsPinByTheirTextAsQueriesDo() throws Exception {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            autoIncrementTable(s);
            s.executeUpdate("INSERT INTO pool_ai (v) VALUES (1), (2), (3)");
        }
        try (Connection c = connect("useServerPrepStmts=true");
             PreparedStatement lock = c.prepareStatement("SELECT GET_LOCK(?, 1)")) {
            lock.setString(1, "pool_prepared_lock");
            lock.executeQuery().close();
            long before = thread(c);
            idle();
            busyElsewhere();
            assertEquals("named locks (GET_LOCK)", session(c).pinnedBecause());
            assertEquals(before, thread(c), "the lock's server thread");
            try (Connection o = connect(""); Statement os = o.createStatement()) {
                assertEquals(0, scalar(os, "SELECT IS_FREE_LOCK('pool_prepared_lock')"), "held by the first session");
            }
        }
        try (Connection c = connect("useServerPrepStmts=true");
             PreparedStatement calc = c.prepareStatement("SELECT SQL_CALC_FOUND_ROWS id FROM pool_ai LIMIT 1");
             Statement s = c.createStatement()) {
            long all = scalar(s, "SELECT COUNT(*) FROM pool_ai");
            calc.executeQuery().close();
            idle();
            busyElsewhere();
            assertEquals("SQL_CALC_FOUND_ROWS", session(c).pinnedBecause());
            try (PreparedStatement found = c.prepareStatement("SELECT FOUND_ROWS()");
                 ResultSet rs = found.executeQuery()) {
                rs.next();
                assertEquals(all, rs.getLong(1), "FOUND_ROWS() of the prepared SQL_CALC_FOUND_ROWS");
            }
        }
        try (Connection c = connect("useServerPrepStmts=true");
             PreparedStatement rowCount = c.prepareStatement("SELECT ROW_COUNT()");
             Statement s = c.createStatement()) {
            assertEquals("prepared ROW_COUNT()/FOUND_ROWS()", session(c).pinnedBecause());
            long updated = s.executeUpdate("UPDATE pool_ai SET v = v + 1");
            idle();
            busyElsewhere();
            try (ResultSet rs = rowCount.executeQuery()) {
                rs.next();
                assertEquals(updated, rs.getLong(1), "ROW_COUNT() of the session's UPDATE");
            }
            rowCount.close();
            idle();
            assertNull(session(c).pinnedBecause(), "free once the statement is closed");
        }
    }

    @Test
    void aFullPoolMakesAStatementWaitThenErr1040() throws Exception {
        int max = pool().maxPerServer();
        Connection[] holders = new Connection[max];
        try {
            for (int i = 0; i < max; i++) {
                holders[i] = connect("");
                holders[i].createStatement().execute("BEGIN"); // pinned: a transaction
            }
            assertEquals(max, baton.proxy().poolOpen().get(source));
            long t0 = System.nanoTime();
            SQLException e = assertThrows(SQLException.class, () -> connect(""),
                    "a login with every connection held waits pool.maxWait, then ERR 1040");
            assertEquals(1040, e.getErrorCode(), e.getMessage());
            assertTrue(e.getMessage().contains("pool"), e.getMessage());
            assertTrue(System.nanoTime() - t0 >= pool().maxWait().toNanos(), "it waited");
            holders[0].createStatement().execute("COMMIT");
            try (Connection c = connect(""); ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
                assertTrue(rs.next(), "a connection came free: the next one gets it");
            }
        } finally {
            closeAll(holders);
        }
    }

    /**
     * A session sends a parameter as long data for a statement, closes the statement without running it, and runs
     * another: the server still holds that parameter on the connection's statement, which is cached there for every
     * session of the same state. That connection is never handed to another session: sessions (of the same client,
     * so of the same state) that prepared the same text before and run it now get their own values.
     */
    @Test
    void longDataOfAClosedStatementNeverReachesAnotherSession() throws Exception {
        TopologyFile.User u = topology.user("app");
        int others = 4;
        RawClient[] bs = new RawClient[others];
        int[] bStmt = new int[others];
        try (RawClient a = new RawClient(baton.port())) {
            for (int i = 0; i < others; i++) {
                bs[i] = new RawClient(baton.port());
                assertEquals(0, bs[i].login(u.user(), u.password(), "app")[0]);
                bStmt[i] = prepare(bs[i], "SELECT ?");
                assertEquals("mine" + i, executeString(bs[i], bStmt[i], "mine" + i));
            }
            idle(); // their connections are parked, "SELECT ?" cached on each
            assertEquals(0, a.login(u.user(), u.password(), "app")[0]);
            int stmt = prepare(a, "SELECT ?");
            // COM_STMT_SEND_LONG_DATA: 0x18, statement_id<4>, param_id<2>, data (no answer)
            byte[] secret = "a-secret".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.nio.ByteBuffer ld = java.nio.ByteBuffer.allocate(7 + secret.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            a.writePacket(0, ld.put((byte) 0x18).putInt(stmt).putShort((short) 0).put(secret).array());
            // COM_STMT_CLOSE: 0x19, statement_id<4> (no answer)
            a.writePacket(0, java.nio.ByteBuffer.allocate(5).order(java.nio.ByteOrder.LITTLE_ENDIAN).put((byte) 0x19)
                    .putInt(stmt).array());
            int one = prepare(a, "SELECT 'x'");
            assertEquals("x", executeString(a, one, null));
            idle(); // the raw session gives its connection back
            for (int i = 0; i < others; i++) {
                assertEquals("again" + i, executeString(bs[i], bStmt[i], "again" + i), "session " + i + "'s own value");
            }
        } finally {
            for (RawClient b : bs) {
                if (b != null) {
                    b.close();
                }
            }
        }
    }

    /**
     * A read whose server connection is lost under it runs again once (docs/in-flight.md); lost a second time, it is
     * not run a third time (it may be what ends its server): the client gets ERR 1317 and the session goes on.
     */
    @Test
    void aReadThatLosesItsServerTwiceIsNotRunAThirdTime() throws Exception {
        String marker = "lost_twice_" + System.nanoTime();
        try (Connection c = connect(""); Statement s = c.createStatement();
             Connection root = topology.connectRoot(topology.initialSource().name()); Statement r = root.createStatement()) {
            java.util.concurrent.CompletableFuture<Long> read = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try (Statement q = c.createStatement()) {
                    return scalar(q, "SELECT SLEEP(4) AS " + marker);
                } catch (SQLException e) {
                    throw new java.util.concurrent.CompletionException(e);
                }
            });
            long first = runningThread(r, marker, 0);
            r.execute("KILL " + first);
            long second = runningThread(r, marker, first);
            r.execute("KILL " + second);
            java.util.concurrent.ExecutionException e = assertThrows(java.util.concurrent.ExecutionException.class,
                    () -> read.get(30, java.util.concurrent.TimeUnit.SECONDS), "not run a third time");
            SQLException err = (SQLException) e.getCause();
            assertEquals(1317, err.getErrorCode(), err.getMessage());
            assertTrue(err.getMessage().contains("not run again"), err.getMessage());
            assertEquals(0, countRunning(r, marker), "no third run on the server");
            assertEquals(7, scalar(s, "SELECT 7"), "the session goes on");
        }
    }

    /** The server thread (other than {@code not}) running the statement whose text has {@code marker}, once it runs. */
    private static long runningThread(Statement root, String marker, long not) throws Exception {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (System.nanoTime() < deadline) {
            try (ResultSet rs = root.executeQuery("SELECT ID FROM information_schema.PROCESSLIST WHERE INFO LIKE '%"
                    + marker + "%' AND INFO NOT LIKE '%PROCESSLIST%' AND ID <> " + not)) {
                if (rs.next()) {
                    return rs.getLong(1);
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("the statement never ran on the server");
    }

    private static long countRunning(Statement root, String marker) throws SQLException {
        return scalar(root, "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE INFO LIKE '%" + marker
                + "%' AND INFO NOT LIKE '%PROCESSLIST%'");
    }

    /**
     * Two statements of one text in one session stay two statements, as on a server: a cursor open on one survives the
     * other being prepared and run (they would share one server statement on the pooled connection otherwise, and the
     * server closes a statement's cursor when it runs again). The session keeps its connection while such a statement
     * is open, and gives it back once they are closed.
     */
    @Test
    void twoStatementsOfOneTextKeepTheirOwnCursors() throws Exception {
        try (Connection c = connect("useServerPrepStmts=true&useCursorFetch=true&defaultFetchSize=2");
             Statement s = c.createStatement()) {
            autoIncrementTable(s);
            s.executeUpdate("INSERT INTO pool_ai (v) VALUES (0), (1), (2), (3), (4), (5), (6), (7), (8), (9)");
            String sql = "SELECT v FROM pool_ai WHERE v >= ? ORDER BY v";
            try (PreparedStatement first = c.prepareStatement(sql); PreparedStatement second = c.prepareStatement(sql)) {
                first.setInt(1, 0);
                second.setInt(1, 5);
                try (ResultSet a = first.executeQuery()) {
                    assertTrue(a.next());
                    assertEquals(0, a.getInt(1));
                    assertEquals(java.util.List.of(5, 6, 7, 8, 9), column(second), "the other statement's rows");
                    try (PreparedStatement third = c.prepareStatement(sql)) {
                        third.setInt(1, 8);
                        assertEquals(java.util.List.of(8, 9), column(third), "one prepared while the cursor is open");
                    }
                    for (int v = 1; v < 10; v++) {
                        assertTrue(a.next(), "the first cursor goes on at " + v);
                        assertEquals(v, a.getInt(1));
                    }
                    assertTrue(!a.next());
                }
                idle();
                assertEquals("open cursor", session(c).pinnedBecause(), "while the statements that opened cursors are open");
                assertTrue(session(c).holdsBackend());
            }
            // Closed (COM_STMT_CLOSE): their cursors are gone with them, and so is the pin. (Not a query through s here:
            // with useCursorFetch, Connector/J runs it as a prepared statement with a cursor of its own.)
            givesItsConnectionBack(c);
        }
    }

    private static java.util.List<Integer> column(PreparedStatement p) throws SQLException {
        java.util.List<Integer> out = new java.util.ArrayList<>();
        try (ResultSet rs = p.executeQuery()) {
            while (rs.next()) {
                out.add(rs.getInt(1));
            }
        }
        return out;
    }

    /**
     * Long data sent for one statement is that statement's only: another statement of the same text run meanwhile
     * gets its own value, and the first one's execute gets the long data. Once the session gives its connection back,
     * the statement it held there alone is closed on the server.
     */
    @Test
    void longDataBelongsToItsOwnStatementAmongOthersOfTheSameText() throws Exception {
        TopologyFile.User u = topology.user("app");
        try (RawClient a = new RawClient(baton.port())) {
            assertEquals(0, a.login(u.user(), u.password(), "app")[0]);
            int first = prepare(a, "SELECT ?");
            int second = prepare(a, "SELECT ?");
            assertEquals("warm", executeString(a, first, "warm"));
            // COM_STMT_SEND_LONG_DATA: 0x18, statement_id<4>, param_id<2>, data (no answer)
            byte[] data = "long-data".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
            java.nio.ByteBuffer ld = java.nio.ByteBuffer.allocate(7 + data.length).order(java.nio.ByteOrder.LITTLE_ENDIAN);
            a.writePacket(0, ld.put((byte) 0x18).putInt(first).putShort((short) 0).put(data).array());
            assertEquals("inline", executeString(a, second, "inline"), "the other statement's own value");
            assertEquals("long-data", executeString(a, first, null, true), "the first statement's long data");
            ClientSession session = baton.proxy().sessions().all().stream()
                    .filter(x -> x.state().statementCount() == 2).findFirst().orElseThrow();
            assertEquals(1, session.state().ownedCount(), "held alone while its long data was pending");
            idle();
            assertTrue(session.lease.released(), "unpinned once its execute came: " + session.pinnedBecause());
            assertEquals(0, session.state().ownedCount(), "closed on the server when the connection went back");
            assertEquals("again", executeString(a, first, "again"));
            assertEquals("other", executeString(a, second, "other"));
        }
    }

    /**
     * COM_STMT_EXECUTE of a statement with one string parameter ({@code value}) or none (null), on a raw session (no
     * DEPRECATE_EOF): the first column of its one row, a string.
     */
    private static String executeString(RawClient c, int stmt, String value) throws Exception {
        return executeString(c, stmt, value, false);
    }

    /** As {@link #executeString(RawClient, int, String)}; {@code longData}: its one parameter came as long data. */
    private static String executeString(RawClient c, int stmt, String value, boolean longData) throws Exception {
        byte[] v = value == null ? new byte[0] : value.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(10 + (longData ? 4 : value == null ? 0 : 4 + 1 + v.length))
                .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        // 0x17, statement_id<4>, flags<1>, iteration_count<4>[, null_bitmap<1>, new_params_bound<1>, type<2>, value]
        b.put((byte) 0x17).putInt(stmt).put((byte) 0).putInt(1);
        if (longData) {
            b.put((byte) 0).put((byte) 1).put((byte) 0xFD).put((byte) 0); // the value is the long data sent before
        } else if (value != null) {
            b.put((byte) 0).put((byte) 1).put((byte) 0xFD).put((byte) 0).put((byte) v.length).put(v);
        }
        c.writePacket(0, b.array());
        byte[] p = c.readPacket();
        assertTrue(p != null && (p[0] & 0xFF) != 0xFF, "execute answered with a result set");
        do {
            p = c.readPacket(); // column definitions up to their EOF
        } while ((p[0] & 0xFF) != 0xFE);
        byte[] row = c.readPacket(); // 0x00, null_bitmap<1>, lenenc string
        assertEquals(0, row[0]);
        String out = new String(row, 3, row[2] & 0xFF, java.nio.charset.StandardCharsets.UTF_8);
        p = c.readPacket();
        assertEquals(0xFE, p[0] & 0xFF, "one row");
        return out;
    }

    /** COM_STMT_PREPARE of {@code sql} on a raw session (no DEPRECATE_EOF): the statement id, its answer read. */
    private static int prepare(RawClient c, String sql) throws Exception {
        byte[] text = sql.getBytes(java.nio.charset.StandardCharsets.UTF_8);
        byte[] cmd = new byte[1 + text.length];
        cmd[0] = 0x16;
        System.arraycopy(text, 0, cmd, 1, text.length);
        c.writePacket(0, cmd);
        byte[] ok = c.readPacket();
        assertEquals(0, ok[0], "prepare OK");
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(ok).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        int id = b.getInt(1);
        int columns = b.getShort(5);
        int params = b.getShort(7);
        for (int i = 0; i < params + (params > 0 ? 1 : 0) + columns + (columns > 0 ? 1 : 0); i++) {
            c.readPacket(); // definitions, each list ending with an EOF
        }
        return id;
    }

    /** A KILL QUERY for a statement that then timed out waiting for a connection does not refuse the next one. */
    @Test
    void aKillQueryOfAStatementThatTimedOutWaitingEndsWithIt() throws Exception {
        int max = pool().maxPerServer();
        Connection[] holders = new Connection[max];
        try (Connection w = connect(""); Statement ws = w.createStatement()) {
            ws.executeQuery("SELECT 1").close();
            idle(); // w gives its connection back
            for (int i = 0; i < max; i++) {
                holders[i] = connect("");
                holders[i].createStatement().execute("BEGIN"); // pinned: a transaction
            }
            java.util.concurrent.CompletableFuture<SQLException> waiting = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    ws.executeQuery("SELECT 2").close();
                    return null;
                } catch (SQLException e) {
                    return e;
                }
            });
            ClientSession ws0 = session(w);
            long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
            while (ws0.phase == ClientSession.Phase.IDLE && System.nanoTime() < deadline) {
                Thread.sleep(10); // until its statement waits for a connection: the KILL must find it waiting
            }
            assertTrue(ws0.phase != ClientSession.Phase.IDLE, "the statement waits for a connection");
            holders[1].createStatement().execute("KILL QUERY " + ((JdbcConnection) w).getId());
            SQLException e = waiting.get(pool().maxWait().toSeconds() + 10, java.util.concurrent.TimeUnit.SECONDS);
            assertNotNull(e, "the statement did not run");
            assertEquals(1040, e.getErrorCode(), "it waited pool.maxWait: " + e.getMessage());
            holders[0].createStatement().execute("COMMIT"); // a connection comes free
            assertEquals(3, scalar(ws, "SELECT 3"), "the next statement runs: the KILL was for the one before");
        } finally {
            closeAll(holders);
        }
    }

    @Test
    void aConnectionThatDiesWhileParkedIsNotHandedOut() throws Exception {
        try (Connection c = connect(""); Statement s = c.createStatement();
             Connection root = topology.connectRoot(topology.initialSource().name()); Statement r = root.createStatement()) {
            s.executeQuery("SELECT 1").close();
            long parked = thread(c);
            idle();
            assertTrue(session(c).lease.released());
            r.execute("KILL " + parked); // the server ends the idle pooled connection
            Thread.sleep(100);
            try (ResultSet rs = s.executeQuery("SELECT 1")) {
                assertTrue(rs.next(), "the session's next statement runs on another connection, no error");
            }
            assertTrue(thread(c) != parked);
        }
    }

    @Test
    void aKillOfASessionBetweenStatementsEndsIt() throws Exception {
        try (Connection victim = connect(""); Connection killer = connect(""); Statement k = killer.createStatement()) {
            victim.createStatement().executeQuery("SELECT 1").close();
            idle();
            assertTrue(session(victim).lease.released());
            k.execute("KILL QUERY " + ((JdbcConnection) victim).getId());
            k.execute("KILL " + ((JdbcConnection) victim).getId());
            assertThrows(SQLException.class, () -> victim.createStatement().executeQuery("SELECT 1"));
        }
    }

    /**
     * A login takes an idle connection its user left in the login's state (schema, character set) instead of logging
     * in to the server again; the new session starts as on a new connection (LAST_INSERT_ID() 0). A login of another
     * schema does not take it.
     */
    @Test
    void aLoginTakesAnIdleConnectionOfItsUserAndSchema() throws Exception {
        java.util.Set<Long> parked = new java.util.HashSet<>();
        String defaultMode;
        try (Connection root = topology.connectRoot(topology.initialSource().name()); Statement r = root.createStatement();
             ResultSet rs = r.executeQuery("SELECT @@GLOBAL.sql_mode")) {
            assertTrue(rs.next());
            defaultMode = rs.getString(1);
        }
        try (Connection a = connect(""); Statement s = a.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS pool_login (id INT AUTO_INCREMENT PRIMARY KEY)");
        }
        // Sessions one after another: accepted connections go round the event loops, so each loop has one parked.
        // (No warnings: a MariaDB connection that had one is closed, not parked.)
        for (int i = 0; i < 8; i++) {
            try (Connection a = connect(""); Statement s = a.createStatement()) {
                s.execute("SET SESSION sql_mode = 'ANSI_QUOTES'");
                s.execute("INSERT INTO pool_login VALUES (NULL)");
                parked.remove(thread(a)); // (taken at its login)
                parked.add(thread(a));
            } // COM_QUIT: its connection is parked on its loop
        }
        Thread.sleep(20);
        try (Connection other = DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + baton.port()
                + "/?sslMode=DISABLED&allowPublicKeyRetrieval=true", topology.user("app").user(),
                topology.user("app").password())) {
            assertTrue(!parked.contains(thread(other)), "a login without a schema does not take one in schema app");
        }
        try (Connection b = connect(""); Statement s = b.createStatement()) {
            assertTrue(parked.contains(thread(b)), "the login took an idle connection instead of a server login: "
                    + thread(b) + " not in " + parked);
            try (ResultSet rs = s.executeQuery("SELECT LAST_INSERT_ID(), DATABASE(), @@SESSION.sql_mode")) {
                assertTrue(rs.next());
                assertEquals(0, rs.getLong(1), "a new session's LAST_INSERT_ID() is 0");
                assertEquals("app", rs.getString(2));
                assertEquals(defaultMode, rs.getString(3), "the last session's variables do not reach the new one");
            }
        }
    }

    /**
     * A reset the server refuses (rand_seed1 has no DEFAULT: ERR 1230, and a SET of several variables applies all or
     * nothing) leaves the connection as its last session left it: the login must not take it but open a new one.
     */
    @Test
    void aLoginWhoseResetIsRefusedGetsANewConnection() throws Exception {
        String defaultMode;
        try (Connection root = topology.connectRoot(topology.initialSource().name()); Statement r = root.createStatement();
             ResultSet rs = r.executeQuery("SELECT @@GLOBAL.sql_mode")) {
            assertTrue(rs.next());
            defaultMode = rs.getString(1);
        }
        long used;
        try (Connection a = connect(""); Statement s = a.createStatement()) {
            s.execute("SET SESSION sql_mode = 'ANSI_QUOTES', rand_seed1 = 5");
            s.execute("SELECT 1"); // (a statement that left a warning keeps its connection until the next)
            used = thread(a);
        }
        Thread.sleep(20);
        try (Connection b = connect(""); Statement s = b.createStatement();
             ResultSet rs = s.executeQuery("SELECT @@SESSION.sql_mode")) {
            assertTrue(rs.next());
            assertEquals(defaultMode, rs.getString(1), "the refused reset's connection is not the new session's");
            assertTrue(thread(b) != used, "a new connection");
        }
    }

    /**
     * pool.loginReuse bounds what a login skips of the server's own login checks (a locked account, a dropped user):
     * a connection whose server login is older is not taken by a login.
     */
    @Test
    void aLoginTakesOnlyAConnectionWhoseServerLoginIsRecent() throws Exception {
        // One event loop: every parked connection is where the next login looks.
        ProxySettings oneLoop = new ProxySettings("127.0.0.1", 0, 1, 3000, 1024 * 1024 * 1024, Duration.ofHours(8),
                Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10), false,
                ProxySettings.Replay.defaults(), ProxySettings.Reads.defaults());
        try (BatonFixture b = BatonFixture.start(topology, oneLoop.withPool(
                new ProxySettings.Pool(true, 8, Duration.ofSeconds(30), Duration.ofMillis(5), Duration.ofSeconds(3),
                        Duration.ofMillis(300))))) {
            TopologyFile.User u = topology.user("app");
            String url = "jdbc:mysql://127.0.0.1:" + b.port() + "/app?sslMode=DISABLED&allowPublicKeyRetrieval=true";
            long first;
            try (Connection a = DriverManager.getConnection(url, u.user(), u.password())) {
                first = b.proxy().sessions().get(((JdbcConnection) a).getId()).backendThreadId();
            }
            long second;
            try (Connection a = DriverManager.getConnection(url, u.user(), u.password())) {
                second = b.proxy().sessions().get(((JdbcConnection) a).getId()).backendThreadId();
            }
            assertEquals(first, second, "within pool.loginReuse the next login takes the idle connection (one loop)");
            Thread.sleep(400);
            try (Connection a = DriverManager.getConnection(url, u.user(), u.password())) {
                assertTrue(b.proxy().sessions().get(((JdbcConnection) a).getId()).backendThreadId() != first,
                        "past pool.loginReuse a login logs in to the server again");
            }
        }
    }

    /**
     * After a burst the pool shrinks to pool.maxIdle idle connections once they have been idle pool.idleTrim, long
     * before pool.idleTimeout, and the ones it keeps are the most recently used; the sessions go on as before.
     */
    @Test
    void afterABurstThePoolKeepsMaxIdleConnections() throws Exception {
        ProxySettings oneLoop = new ProxySettings("127.0.0.1", 0, 1, 3000, 1024 * 1024 * 1024, Duration.ofHours(8),
                Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10), false,
                ProxySettings.Replay.defaults(), ProxySettings.Reads.defaults());
        try (BatonFixture b = BatonFixture.start(topology, oneLoop.withPool(new ProxySettings.Pool(true, 8,
                Duration.ofSeconds(30), Duration.ofMillis(5), Duration.ofSeconds(3), Duration.ofSeconds(10), 2,
                Duration.ofSeconds(1))))) {
            TopologyFile.User u = topology.user("app");
            Connection[] burst = new Connection[6];
            try {
                for (int i = 0; i < burst.length; i++) {
                    burst[i] = connectTo(b.port(), "");
                    burst[i].createStatement().execute("BEGIN"); // each holds its own connection
                }
                assertEquals(6, b.proxy().poolOpen().get(source), "six sessions in a transaction hold six connections");
                long[] threads = new long[burst.length];
                for (int i = 0; i < burst.length; i++) {
                    threads[i] = b.proxy().sessions().get(((JdbcConnection) burst[i]).getId()).backendThreadId();
                    burst[i].createStatement().execute("COMMIT");
                }
                idle();
                assertEquals(6, b.proxy().poolIdle(), "given back and parked, none idle pool.idleTrim yet");
                long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                // Slots come back as the closed connections' channels close, just after they leave the idle ones.
                while ((b.proxy().poolIdle() > 2 || b.proxy().poolOpen().get(source) > 2) && System.nanoTime() < deadline) {
                    Thread.sleep(50);
                }
                assertEquals(2, b.proxy().poolIdle(), "past pool.idleTrim, pool.maxIdle idle connections are kept");
                assertEquals(2, b.proxy().poolOpen().get(source), "the others are closed, their slots free");
                Thread.sleep(500);
                assertEquals(2, b.proxy().poolIdle(), "the kept ones stay until pool.idleTimeout");
                StringBuilder ids = new StringBuilder();
                for (long t : threads) {
                    ids.append(ids.length() == 0 ? "" : ", ").append(t);
                }
                try (Connection root = topology.connectRoot(topology.initialSource().name());
                     ResultSet rs = root.createStatement().executeQuery("SELECT COUNT(*) FROM information_schema.PROCESSLIST"
                             + " WHERE USER = '" + u.user() + "' AND ID IN (" + ids + ")")) {
                    rs.next();
                    assertEquals(2, rs.getInt(1), "the server has the two kept connections of the six, no more");
                }
                for (Connection c : burst) {
                    try (ResultSet rs = c.createStatement().executeQuery("SELECT 1")) {
                        assertTrue(rs.next(), "every session goes on");
                    }
                }
            } finally {
                closeAll(burst);
            }
        }
    }

    /**
     * A parked connection whose server stops answering (hung, or the connection dropped silently while it was parked)
     * does not hold the session that takes it: Baton's SET last_insert_id on it is bounded by
     * limits.backendConnectTimeout, then the statement runs on another connection, with the session's LAST_INSERT_ID().
     */
    @Test
    void aParkedConnectionThatStopsAnsweringIsLeftForAnother() throws Exception {
        ProxySettings oneLoop = new ProxySettings("127.0.0.1", 0, 1, 3000, 1024 * 1024 * 1024, Duration.ofHours(8),
                Duration.ofSeconds(10), Duration.ofMillis(500), Duration.ofSeconds(20), false,
                ProxySettings.Replay.defaults(), ProxySettings.Reads.defaults());
        String src = topology.initialSource().name();
        try (BatonFixture b = BatonFixture.start(topology, oneLoop.withPool(new ProxySettings.Pool(true, 8,
                Duration.ofSeconds(30), Duration.ofMillis(5), Duration.ofSeconds(3), Duration.ofSeconds(10), 8,
                Duration.ofSeconds(10))))) {
            try (Connection a = connectTo(b.port(), ""); Statement sa = a.createStatement()) {
                sa.execute("CREATE TABLE IF NOT EXISTS pool_hang (id INT AUTO_INCREMENT PRIMARY KEY, v INT)");
                sa.execute("BEGIN");
                sa.executeUpdate("INSERT INTO pool_hang (v) VALUES (1)");
                long id = scalar(sa, "SELECT LAST_INSERT_ID()");
                long parked = b.proxy().sessions().get(((JdbcConnection) a).getId()).backendThreadId();
                sa.execute("COMMIT");
                idle();
                try (Connection o = connectTo(b.port(), ""); Statement so = o.createStatement()) {
                    so.execute("BEGIN");
                    so.executeUpdate("INSERT INTO pool_hang (v) VALUES (2)");
                    assertEquals(parked, b.proxy().sessions().get(((JdbcConnection) o).getId()).backendThreadId(),
                            "the second session took the first one's parked connection");
                    so.execute("COMMIT");
                }
                idle();
                // The connection is parked again with another LAST_INSERT_ID(): the first session's next statement
                // takes it and Baton sets the session's value first. The server stops answering now.
                topology.pause(src);
                Thread resumer = new Thread(() -> {
                    try {
                        Thread.sleep(2500);
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                    }
                    topology.resume(src);
                });
                try {
                    resumer.start();
                    sa.execute("BEGIN");
                    assertEquals(id, scalar(sa, "SELECT LAST_INSERT_ID()"), "LAST_INSERT_ID() is the session's own");
                    long now = b.proxy().sessions().get(((JdbcConnection) a).getId()).backendThreadId();
                    assertTrue(now != 0 && now != parked, "the session left the connection that did not answer"
                            + " (thread " + parked + ") for another (thread " + now + ")");
                    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
                    while (b.proxy().poolOpen().get(source) != 1 && System.nanoTime() < deadline) {
                        Thread.sleep(50);
                    }
                    assertEquals(1, b.proxy().poolOpen().get(source), "no slot kept by the connections given up:"
                            + " the session's own is the only one open");
                    sa.execute("COMMIT");
                } finally {
                    resumer.join(10_000);
                    topology.resume(src);
                }
            }
        }
    }

    /**
     * Read-port sessions are pooled too; their connections are read-only for the session, so a read-write session of
     * the same user and state never gets one (their state keys differ), and each kind keeps working over releases.
     */
    @Test
    void readPortSessionsArePooledApartFromReadWriteOnes() throws Exception {
        try (Connection r = connectRead(); Connection w = connect(""); Statement rs = r.createStatement();
             Statement ws = w.createStatement()) {
            ws.execute("CREATE TABLE pool_rw (id INT PRIMARY KEY)");
            for (int i = 0; i < 3; i++) {
                try (ResultSet q = rs.executeQuery("SELECT @@session." + (topology.dialect()
                        == io.baton.dialect.Dialect.MARIADB ? "tx_read_only" : "transaction_read_only"))) {
                    assertTrue(q.next());
                    assertEquals(1, q.getInt(1), "a read-port session stays read-only");
                }
                ws.execute("INSERT INTO pool_rw VALUES (" + i + ")");
                idle();
                assertTrue(session(r).lease.released(), "an idle read-port session gives its connection back");
                assertTrue(session(w).lease.released());
            }
            ClientSession read = session(r);
            ClientSession write = session(w);
            String readKey = read.channel().eventLoop().submit(() -> read.lease.key()).get();
            String writeKey = write.channel().eventLoop().submit(() -> write.lease.key()).get();
            assertTrue(readKey != writeKey && !readKey.equals(writeKey),
                    "the same user, schema and variables on the two ports: different pool keys");
        }
    }

    /**
     * A read-only port connection a login takes stays read-only, whatever its last session set (SET SESSION TRANSACTION
     * READ ONLY is tracked as transaction_read_only, which a login's reset sets back).
     */
    @Test
    void aReadPortConnectionStaysReadOnlyForTheNextLogin() throws Exception {
        try (Connection w = connect(""); Statement s = w.createStatement()) {
            s.execute("CREATE TABLE pool_ro (id INT PRIMARY KEY)");
        }
        TopologyFile.User u = topology.user("app");
        // useLocalSessionState: Connector/J sends the write instead of refusing it itself.
        String url = "jdbc:mysql://127.0.0.1:" + baton.proxy().readPort()
                + "/app?sslMode=DISABLED&allowPublicKeyRetrieval=true&useLocalSessionState=true";
        long used;
        try (Connection r = DriverManager.getConnection(url, u.user(), u.password()); Statement s = r.createStatement()) {
            s.execute("SET SESSION TRANSACTION READ ONLY");
            used = thread(r);
        }
        Thread.sleep(20);
        try (Connection r = DriverManager.getConnection(url, u.user(), u.password()); Statement s = r.createStatement()) {
            assertEquals(used, thread(r), "the login took the read-only port's idle connection");
            SQLException e = assertThrows(SQLException.class, () -> s.execute("INSERT INTO pool_ro VALUES (1)"));
            assertTrue(e.getErrorCode() == 1792 || e.getErrorCode() == 1290, "still read-only: " + e.getMessage());
        }
    }

    /** The pool can be turned off: each session keeps its connection for its whole life, as before. */
    @Test
    void idleSessionsReleaseUnlessThePoolIsOff() throws Exception {
        try (Connection c = connect(""); Statement s = c.createStatement()) {
            s.executeQuery("SELECT 1").close();
            idle();
            assertNotNull(session(c));
            assertTrue(session(c).lease.released(), "pool on: released");
        }
        try (BatonFixture off = BatonFixture.start(topology, ProxySettings.defaults().withPort(0)
                .withPool(ProxySettings.Pool.off()))) {
            TopologyFile.User u = topology.user("app");
            try (Connection c = DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + off.port()
                    + "/app?sslMode=DISABLED&allowPublicKeyRetrieval=true", u.user(), u.password())) {
                c.createStatement().executeQuery("SELECT 1").close();
                idle();
                ClientSession cs = off.proxy().sessions().get(((JdbcConnection) c).getId());
                assertTrue(cs.holdsBackend(), "pool off: the session keeps its connection");
            }
        }
    }
}
