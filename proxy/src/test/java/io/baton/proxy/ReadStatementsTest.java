package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ReadStatementsTest {

    private static ByteBuf bytes(String s) {
        return Unpooled.copiedBuffer(s, StandardCharsets.UTF_8);
    }

    private static boolean refused(String sql) {
        ByteBuf b = bytes(sql);
        try {
            return ReadStatements.makesWritable(b, 0, b.readableBytes()) != null;
        } finally {
            b.release();
        }
    }

    @Test
    void statementsThatMakeASessionWritableAreRefused() {
        for (String sql : new String[] {"SET SESSION transaction_read_only = 0", "set @@tx_read_only=OFF",
                "SET @@session.transaction_read_only := 0", "START TRANSACTION READ WRITE",
                "SET SESSION TRANSACTION READ   WRITE", "SELECT 1; SET transaction_read_only=0",
                "SET autocommit=1, transaction_read_only=0", "start transaction read write, with consistent snapshot"}) {
            assertTrue(refused(sql), sql);
        }
        assertEquals(1290, ReadStatements.makesWritable(bytes("START TRANSACTION READ WRITE"), 0, 28).errno());
    }

    @Test
    void readsThatMentionTheWordsPass() {
        for (String sql : new String[] {"SELECT @@session.transaction_read_only", "SELECT @@super_read_only, @@read_only",
                "SELECT 'READ WRITE' AS mode", "SET SESSION TRANSACTION READ ONLY", "START TRANSACTION READ ONLY",
                "SELECT * FROM t WHERE note = 'set transaction_read_only=0'", "SELECT write_count FROM t"}) {
            assertFalse(refused(sql), sql);
        }
    }

    @Test
    void batonStatements() {
        assertTrue(ReadStatements.startsWithBaton(bytes("  baton show consistency"), 0, 24));
        assertFalse(ReadStatements.startsWithBaton(bytes("batons"), 0, 6));
        assertFalse(ReadStatements.startsWithBaton(bytes("SELECT 1"), 0, 8));
        assertEquals(ProxySettings.Consistency.USER, ReadStatements.baton("BATON SET consistency = 'user'").level());
        assertEquals(ProxySettings.Consistency.GLOBAL, ReadStatements.baton("baton set CONSISTENCY=global;").level());
        assertEquals(ProxySettings.Consistency.SESSION, ReadStatements.baton("BATON SET consistency = \"Session\"").level());
        assertTrue(ReadStatements.baton("BATON SHOW consistency").show());
        assertEquals(1231, ReadStatements.baton("BATON SET consistency = 'strong'").error().errno());
        assertEquals(1064, ReadStatements.baton("BATON SET consistency").error().errno());
        assertNotNull(ReadStatements.baton("BATON").error());
        assertNull(ReadStatements.baton("BATON SHOW consistency").error());
    }

    @Test
    void onlyPlainReadsAreSplitOffTheReadWritePort() {
        for (String sql : new String[] {"SELECT c FROM sbtest1 WHERE id = 7", "  select 1", "SELECT * FROM t WHERE mail ="
                + " 'a@b.example'", "/* app */ SELECT a FROM t", "SHOW TABLES", "show full columns from t",
            "SHOW CREATE TABLE t", "SHOW INDEX FROM t", "SELECT a FROM t;", "SHOW DATABASES"}) {
            assertTrue(ReadStatements.splittable(sql), sql);
        }
        for (String sql : new String[] {"INSERT INTO t VALUES (1)", "UPDATE t SET a = 1", "SELECT a FROM t FOR UPDATE",
            "SELECT a FROM t FOR SHARE", "SELECT a FROM t LOCK IN SHARE MODE", "SELECT a INTO @x FROM t",
            "SELECT @x", "SELECT @@server_id", "SELECT @@read_only", "SELECT LAST_INSERT_ID()", "SELECT FOUND_ROWS()",
            "SELECT GET_LOCK('a', 1)", "SELECT NEXTVAL(s)", "SELECT 1; SELECT 2", "/*!40101 SELECT 1 */",
            "SELECT /*!40101 1 */", "SHOW WARNINGS", "SHOW ERRORS", "SHOW VARIABLES", "SHOW SESSION STATUS",
            "SHOW PROCESSLIST", "SHOW MASTER STATUS", "SHOW REPLICA STATUS", "SHOW GRANTS", "SELECT SLEEP(1)",
            "SELECT MASTER_POS_WAIT('f', 4)", "SELECT WAIT_FOR_EXECUTED_GTID_SET('x')", "SELECT LOAD_FILE('/etc/hosts')",
            "WITH x AS (SELECT 1) SELECT * FROM x", "CALL p()", "DO 1", "", "   ", "SELECT 'unterminated",
            "SELECT CONNECTION_ID()", "SELECT SQL_CALC_FOUND_ROWS a FROM t"}) {
            assertFalse(ReadStatements.splittable(sql), sql);
        }
    }
}
