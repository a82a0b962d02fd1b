package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StatementInspectionTest {

    private static boolean prefilter(String sql) {
        ByteBuf b = Unpooled.copiedBuffer(sql, StandardCharsets.UTF_8);
        return StatementHead.mayChangeUnmovableState(b, 0, b.readableBytes());
    }

    @Test
    void thePrefilterPassesEverythingTheInspectionCouldMatch() {
        for (String sql : new String[] {"CREATE TEMPORARY TABLE t (id INT)", "  create temporary table t (id int)",
                "LOCK TABLES t WRITE", "unlock tables", "KILL QUERY 5", "SELECT GET_LOCK('x', 1)",
                "select release_all_locks()", "DO GET_LOCK('a', 0)"}) {
            assertTrue(prefilter(sql), sql);
        }
        for (String sql : new String[] {"SELECT c FROM sbtest1 WHERE id = 5", "INSERT INTO t VALUES (1)",
                "UPDATE t SET v = 1", "", "   ", "SET autocommit = 0", "BEGIN", "COMMIT"}) {
            assertFalse(prefilter(sql), sql);
        }
    }

    @Test
    void aKillIsReadWithTheCommentsAroundIt() {
        // Not read, it would reach the server with Baton's id, which there names another connection or none.
        for (String sql : new String[] {"KILL 5", "kill query 5;", "KILL CONNECTION 5 -- from the admin tool",
                "KILL 5 /* ticket 12 */", "KILL QUERY 5 /* a */ ; # b", "KILL 5;\n-- done\n", "KILL 5 --\n", "KILL 5 /* a * b */"}) {
            StatementHead.Kill k = StatementHead.kill(sql);
            assertEquals(5, k == null ? -1 : k.connectionId(), sql);
        }
        for (String sql : new String[] {"KILL 5 /*!80000 , 6 */", "KILL 5, 6", "KILL 5; SELECT 1", "KILL 5 /* open",
                "KILL 5 /* x */; DROP TABLE t /**/", "KILL 5 --\n; DROP TABLE t", "KILL 5 --x", "KILL SOFT 5"}) {
            assertNull(StatementHead.kill(sql), sql);
        }
        // Inside an executable comment it would still run: seen, and refused since it is not read.
        for (String sql : new String[] {"/*!KILL 5*/", "/*!50000 kill query 5 */", "/*M!100000 KILL 5*/"}) {
            assertTrue(prefilter(sql), sql);
            assertTrue(StatementHead.startsWithKill(sql), sql);
            assertNull(StatementHead.kill(sql), sql);
        }
        assertFalse(StatementHead.startsWithKill("/*!40101 SET NAMES utf8 */"));
        assertFalse(StatementHead.startsWithKill("/*m! KILL 5 */"), "MariaDB runs /*M! only");
    }

    /** The first words of the statements after the first, as Baton finds them. */
    private static java.util.List<String> later(String sql) {
        ByteBuf b = Unpooled.copiedBuffer(sql, StandardCharsets.UTF_8);
        java.util.List<String> out = new java.util.ArrayList<>();
        if ((ConnectionIds.mentions(b, 0, b.readableBytes()) & ConnectionIds.MULTI) == 0) {
            return out;
        }
        for (int k : StatementHead.laterStatements(b, 0, b.readableBytes())) {
            String rest = b.toString(k, b.readableBytes() - k, StandardCharsets.UTF_8);
            out.add(rest.split("[\\s;(]", 2)[0]);
        }
        return out;
    }

    @Test
    void theLaterStatementsOfAMultiStatementAreFound() {
        assertEquals(java.util.List.of("LOCK"), later("SELECT 1; LOCK TABLES t READ"));
        assertEquals(java.util.List.of("KILL", "SELECT"), later("SELECT 'a;b', `c;d`, \"e;f\";\n/* x; */ KILL 5;;SELECT 2;"));
        assertEquals(java.util.List.of("UNLOCK"), later("SELECT 1 -- a; LOCK TABLES t\n; # b; c\n UNLOCK TABLES"));
        assertEquals(java.util.List.of("HANDLER"), later("SELECT 'it''s; \\' ;'; HANDLER h OPEN"));
        // An executable comment is code: its ';' splits. A hint or a comment that starts with M is a comment.
        assertEquals(java.util.List.of("LOCK"), later("SELECT 1 /*!50000 ; LOCK TABLES t READ */"));
        assertEquals(java.util.List.of("KILL"), later("SELECT 1 /*Mike's note*/; KILL 5"));
        assertEquals(java.util.List.of("LOCK"), later("SELECT /*+ don't */ 1; LOCK TABLES t WRITE"));
        assertEquals(java.util.List.of("LOCK"), later("CREATE TABLE t (a INT); LOCK TABLES t WRITE"));
        // Words that name a routine's kind elsewhere (a column, a comment) do not make a routine's text.
        assertEquals(java.util.List.of("LOCK"), later("CREATE TABLE t (event INT, function INT); LOCK TABLES t WRITE"));
        assertEquals(java.util.List.of("KILL"), later("ALTER TABLE t COMMENT 'a trigger'; KILL 5"));
        assertEquals(java.util.List.of("GRANT"), later("CREATE USER u; GRANT EXECUTE ON PROCEDURE p TO u"));
        for (String one : new String[] {"SELECT 1;", "SELECT 1; ", "SELECT 1; -- done", "SELECT ';'", "SELECT 1 /* ; x */",
                "SELECT 1 # ; LOCK TABLES t READ", "SELECT 'a'';'"}) {
            assertEquals(java.util.List.of(), later(one), one);
        }
        // A routine's body runs later; a text left open is read otherwise by the server (NO_BACKSLASH_ESCAPES).
        for (String body : new String[] {"CREATE PROCEDURE p() BEGIN LOCK TABLES t READ; KILL 5; END",
                "  create definer=`a`@`%` trigger x before insert on t for each row begin set @a = 1; end",
                "/*!50003 CREATE*/ /*!50017 DEFINER=`root`@`localhost`*/ /*!50106 EVENT e ON SCHEDULE EVERY 1 DAY DO"
                        + " BEGIN KILL 5; END */", "ALTER EVENT e DO BEGIN SELECT 1; SELECT 2; END",
                "CREATE OR REPLACE DEFINER = CURRENT_USER() SQL SECURITY INVOKER PROCEDURE p() BEGIN SELECT 1; END",
                "create aggregate function f(x INT) RETURNS INT BEGIN DECLARE s INT; RETURN s; END"}) {
            assertTrue(split(body) == StatementHead.BODY, body);
        }
        assertTrue(split("SELECT 'C:\\'; KILL 5") == StatementHead.UNSURE);
        assertTrue(split("SELECT `a; KILL 5") == StatementHead.UNSURE);
    }

    private static int[] split(String sql) {
        ByteBuf b = Unpooled.copiedBuffer(sql, StandardCharsets.UTF_8);
        return StatementHead.laterStatements(b, 0, b.readableBytes());
    }

    @Test
    void namedLocksFollowTheOrderOfTheCalls() {
        assertEquals(SessionState.GETS_LOCK, SessionState.namedLockEffects(
                "SELECT RELEASE_ALL_LOCKS(); SELECT GET_LOCK('b', 1)"));
        SessionState s = new SessionState();
        s.apply(SessionState.namedLockEffects("SELECT RELEASE_ALL_LOCKS(); SELECT GET_LOCK('b', 1)"));
        assertEquals("the session holds named locks (GET_LOCK)", s.unmovableReason());
        s.apply(SessionState.namedLockEffects("SELECT GET_LOCK('c', 1), RELEASE_ALL_LOCKS()"));
        assertNull(s.unmovableReason());
        assertEquals(0, SessionState.namedLockEffects("SELECT budget_lock FROM t"));
        // A release only as a call; a GET_LOCK however it is written (a comment before its parenthesis).
        assertEquals(SessionState.GETS_LOCK, SessionState.namedLockEffects("SELECT GET_LOCK('a', 0) /* then RELEASE_ALL_LOCKS() */"));
        assertEquals(SessionState.GETS_LOCK, SessionState.namedLockEffects("SELECT GET_LOCK('a', 0), 'RELEASE_ALL_LOCKS()'"));
        assertEquals(SessionState.GETS_LOCK, SessionState.namedLockEffects("SELECT GET_LOCK('a', 0) -- RELEASE_ALL_LOCKS()\n"));
        assertEquals(SessionState.GETS_LOCK, SessionState.namedLockEffects("DO GET_LOCK/**/('a', 0)"));
        assertEquals(0, SessionState.namedLockEffects("SELECT 1 /* RELEASE_ALL_LOCKS() */"));
        assertTrue(SessionState.namedLockEffects("SELECT GET_LOCK('a', 0); DO RELEASE_ALL_LOCKS/**/()") != SessionState.GETS_LOCK);
        assertEquals("SELECT         , 1 /*!50000 x */    ", StatementHead.codeOnly("SELECT 'a''b\\'', 1 /*!50000 x */ # c"));
        // The head releases, the whole text takes a lock after: the whole text decides.
        String head = "SELECT RELEASE_ALL_LOCKS(), 1";
        int both = SessionState.withNamedLocks(SessionState.headEffects(head),
                SessionState.namedLockEffects(head + ", 2".repeat(300) + ", GET_LOCK('d', 1)"));
        s.apply(both);
        assertEquals("the session holds named locks (GET_LOCK)", s.unmovableReason());
        ByteBuf b = Unpooled.copiedBuffer("SELECT budget_lock, target_get_lock FROM t", StandardCharsets.UTF_8);
        assertEquals(0, ConnectionIds.mentions(b, 0, b.readableBytes()) & ConnectionIds.NAMED_LOCKS);
        b = Unpooled.copiedBuffer("SELECT " + "x, ".repeat(300) + "GET_LOCK('a', 1)", StandardCharsets.UTF_8);
        assertTrue((ConnectionIds.mentions(b, 0, b.readableBytes()) & ConnectionIds.NAMED_LOCKS) != 0);
    }

    @Test
    void aLeadingCommentLongerThanTheHeadHidesNothing() {
        String comment = "/* " + "trace ".repeat(100) + "*/ ";
        for (String sql : new String[] {"SELECT GET_LOCK('x', 1)", "LOCK TABLES t WRITE", "KILL 5"}) {
            assertTrue(prefilter(comment + sql), sql);
        }
        assertFalse(prefilter(comment + "SELECT 1"));
    }

    @Test
    void inspectionTracksStateThatCannotMove() {
        SessionState s = new SessionState();
        assertNull(s.unmovableReason());
        s.apply(SessionState.headEffects("SELECT GET_LOCK('job', 10)"));
        assertEquals("the session holds named locks (GET_LOCK)", s.unmovableReason());
        s.apply(SessionState.headEffects("SELECT RELEASE_ALL_LOCKS()"));
        assertNull(s.unmovableReason());
        s.apply(SessionState.headEffects("LOCK TABLES t READ"));
        assertEquals("the session holds table locks (LOCK TABLES)", s.unmovableReason());
        s.apply(SessionState.headEffects("UNLOCK TABLES"));
        assertNull(s.unmovableReason());
        s.apply(SessionState.headEffects("CREATE TEMPORARY TABLE x (id INT)"));
        assertEquals("the session has temporary tables", s.unmovableReason());
        s.reset();
        assertNull(s.unmovableReason(), "COM_RESET_CONNECTION drops temporary tables");
    }
}
