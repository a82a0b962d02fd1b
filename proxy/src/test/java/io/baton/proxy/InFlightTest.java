package io.baton.proxy;

import static io.baton.proxy.InFlight.Fate.RERUN;
import static io.baton.proxy.InFlight.Fate.ROLLED_BACK;
import static io.baton.proxy.InFlight.Fate.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** Each rule of docs/in-flight.md: what a statement in flight at a lost server gets. */
class InFlightTest {

    @Test
    void anAutocommitReadOfWhichNothingCameBackRunsAgain() {
        assertEquals(RERUN, InFlight.of("SELECT * FROM t WHERE id = 1", false, false));
        assertEquals(RERUN, InFlight.of("  /* ping */ select @@version, @@port", false, false));
        assertEquals(RERUN, InFlight.of("SHOW FULL PROCESSLIST", false, false));
        assertEquals(RERUN, InFlight.of("SELECT ';' AS a;", false, false));
        assertEquals(UNKNOWN, InFlight.of("SELECT 1", false, true), "part of the answer reached the client");
    }

    @Test
    void readsWithEffectsOrPerConnectionAnswersDoNot() {
        for (String sql : new String[] {"SELECT * FROM t FOR UPDATE", "SELECT * FROM t LOCK IN SHARE MODE",
            "SELECT * FROM t FOR SHARE", "SELECT a INTO @x FROM t", "SELECT @x := @x + 1", "SELECT @x",
            "SELECT GET_LOCK('a', 1)", "SELECT NEXTVAL(s)", "SELECT LAST_INSERT_ID()", "SELECT FOUND_ROWS()",
            "SELECT CONNECTION_ID()", "SELECT 1; SELECT 2", "/*!50000 SELECT 1 */", "/*+ MAX_EXECUTION_TIME(1) */ SELECT 1",
            "SELECT 'unterminated"}) {
            assertEquals(UNKNOWN, InFlight.of(sql, false, false), sql);
        }
    }

    @Test
    void anAutocommitWriteOrACommitIsUnknown() {
        for (String sql : new String[] {"INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "COMMIT", "CALL p()",
            "CREATE TABLE x (a INT)", "SET autocommit = 1", "BEGIN"}) {
            assertEquals(UNKNOWN, InFlight.of(sql, false, false), sql);
        }
        assertEquals(UNKNOWN, InFlight.of(null, false, false), "a command not kept");
    }

    @Test
    void insideATransactionOnlyWhatCannotCommitIsKnownRolledBack() {
        for (String sql : new String[] {"INSERT INTO t VALUES (1)", "update t set a = 1 where id = 2", "DELETE FROM t",
            "REPLACE INTO t VALUES (1)", "SELECT * FROM t FOR UPDATE", "SELECT @x", "-- note\nSELECT 1"}) {
            assertEquals(ROLLED_BACK, InFlight.of(sql, true, false), sql);
            assertEquals(ROLLED_BACK, InFlight.of(sql, true, true), sql + " (answered in part)");
        }
        for (String sql : new String[] {"COMMIT", "commit work", "BEGIN", "START TRANSACTION", "CREATE TABLE x (a INT)",
            "SET autocommit = 1", "CALL p()", "INSERT INTO t VALUES (1); COMMIT", "LOCK TABLES t WRITE",
            "ROLLBACK TO SAVEPOINT s1", "ROLLBACK AND CHAIN", "ROLLBACK RELEASE"}) {
            assertEquals(UNKNOWN, InFlight.of(sql, true, false), sql);
        }
    }

    @Test
    void aRollbackIsDoneWithTheServer() {
        for (String sql : new String[] {"ROLLBACK", "rollback work;", "ROLLBACK AND NO CHAIN", "ROLLBACK NO RELEASE"}) {
            assertEquals(InFlight.Fate.ROLLED_BACK_AS_ASKED, InFlight.of(sql, true, false), sql);
            assertEquals(InFlight.Fate.ROLLED_BACK_AS_ASKED, InFlight.of(sql, false, true), sql);
        }
    }
}
