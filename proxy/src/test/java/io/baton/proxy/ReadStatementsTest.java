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
}
