package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.Command;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ConnectionIdsTest {
    private static String rewritten(String sql, long id) {
        ByteBuf packet = Unpooled.buffer();
        byte[] text = sql.getBytes(StandardCharsets.UTF_8);
        Packets.writeHeader(packet, 1 + text.length, 0);
        packet.writeByte(Command.COM_QUERY);
        packet.writeBytes(text);
        ByteBuf out = ConnectionIds.rewriteStatement(ByteBufAllocator.DEFAULT, packet, 0, 1 + text.length, id);
        if (out == null) {
            return null;
        }
        assertEquals(out.readableBytes() - Packets.HEADER_SIZE, Packets.payloadLength(out, 0), "header length");
        assertEquals(Command.COM_QUERY, out.getUnsignedByte(Packets.HEADER_SIZE));
        String s = out.toString(Packets.HEADER_SIZE + 1, out.readableBytes() - Packets.HEADER_SIZE - 1, StandardCharsets.UTF_8);
        out.release();
        return s;
    }

    @Test
    void aSelectListItemKeepsItsColumnName() {
        assertEquals("SELECT 42 AS `CONNECTION_ID()`", rewritten("SELECT CONNECTION_ID()", 42));
        assertEquals("select 1, 42 AS `connection_id ( )` from dual", rewritten("select 1, connection_id ( ) from dual", 42));
        assertEquals("SELECT 42 AS `CONNECTION_ID()`;", rewritten("SELECT CONNECTION_ID();", 42));
        assertEquals("SELECT (SELECT 42 AS `CONNECTION_ID()`)", rewritten("SELECT (SELECT CONNECTION_ID())", 42));
        assertEquals("SELECT DISTINCT 42 AS `CONNECTION_ID()` INTO @c", rewritten("SELECT DISTINCT CONNECTION_ID() INTO @c", 42));
    }

    @Test
    void elsewhereItIsALiteral() {
        assertEquals("SELECT 42 AS id", rewritten("SELECT CONNECTION_ID() AS id", 42));
        assertEquals("SELECT 42 id", rewritten("SELECT CONNECTION_ID() id", 42));
        assertEquals("SELECT CONCAT('a', 42)", rewritten("SELECT CONCAT('a', CONNECTION_ID())", 42));
        assertEquals("SELECT * FROM t WHERE id IN (1, 42, 2)", rewritten("SELECT * FROM t WHERE id IN (1, CONNECTION_ID(), 2)", 42));
        assertEquals("INSERT INTO t VALUES (42)", rewritten("INSERT INTO t VALUES (CONNECTION_ID())", 42));
        assertEquals("SELECT 42 + 1", rewritten("SELECT CONNECTION_ID() + 1", 42));
        assertEquals("SELECT a FROM t WHERE c = 42", rewritten("SELECT a FROM t WHERE c = CONNECTION_ID()", 42));
    }

    @Test
    void stringsCommentsAndNamesAreLeftAlone() {
        assertNull(rewritten("SELECT 'CONNECTION_ID()'", 42));
        assertNull(rewritten("SELECT \"it's CONNECTION_ID()\"", 42));
        assertNull(rewritten("SELECT `CONNECTION_ID()` FROM t", 42));
        assertNull(rewritten("SELECT 1 -- CONNECTION_ID()\n", 42));
        assertNull(rewritten("SELECT 1 # CONNECTION_ID()", 42));
        assertNull(rewritten("SELECT /* CONNECTION_ID() */ 1", 42));
        assertNull(rewritten("SELECT my_connection_id()", 42));
        assertNull(rewritten("SELECT CONNECTION_ID", 42));
        assertNull(rewritten("SELECT 'a\\'CONNECTION_ID()'", 42));
        assertEquals("SELECT 'x', 42 AS `CONNECTION_ID()`", rewritten("SELECT 'x', CONNECTION_ID()", 42));
        assertEquals("SELECT /*!50000 42 */", rewritten("SELECT /*!50000 CONNECTION_ID() */", 42));
    }

    @Test
    void aProcesslistReadKeepsTheServersIds() {
        assertNull(rewritten("SELECT * FROM information_schema.PROCESSLIST WHERE ID = CONNECTION_ID()", 42));
    }

    @Test
    void processlistRowsShowBatonsIds() {
        ByteBuf row = Unpooled.buffer();
        ProtocolIO.writeLenencString(row, "1234", StandardCharsets.US_ASCII);
        ProtocolIO.writeLenencString(row, "app", StandardCharsets.US_ASCII);
        row.writeByte(0xFB); // NULL
        ProtocolIO.writeLenencString(row, "99", StandardCharsets.US_ASCII);
        boolean[] ids = {true, false, false, true};
        ByteBuf out = ConnectionIds.rewriteRow(ByteBufAllocator.DEFAULT, row, 0, row.readableBytes(), ids,
                Map.of(1234L, 7L, 99L, 123456L), 5);
        assertEquals(5, Packets.sequenceId(out, 0));
        assertEquals(out.readableBytes() - Packets.HEADER_SIZE, Packets.payloadLength(out, 0));
        out.skipBytes(Packets.HEADER_SIZE);
        assertEquals("7", ProtocolIO.readLenencString(out));
        assertEquals("app", ProtocolIO.readLenencString(out));
        assertEquals(0xFB, out.readUnsignedByte());
        assertEquals("123456", ProtocolIO.readLenencString(out));
        assertNull(ConnectionIds.rewriteRow(ByteBufAllocator.DEFAULT, row, 0, row.readableBytes(), ids, Map.of(5L, 7L), 5),
                "no thread of a session: the row goes as it came");
        assertTrue(ConnectionIds.idColumn("", "", "Id", 0, true));
        assertTrue(ConnectionIds.idColumn("PROCESSLIST", "ID", "ID", 3, false));
        assertTrue(ConnectionIds.idColumn("threads", "PROCESSLIST_ID", "PROCESSLIST_ID", 3, false));
        assertTrue(!ConnectionIds.idColumn("t", "id", "id", 0, false));
    }

    /** Decoders reject, never crash: random statements and random rows. */
    @Test
    void randomInputNeverThrows() {
        Random r = new Random(17);
        String[] parts = {"CONNECTION_ID()", "connection_id (", ")", "'", "\"", "`", "\\", "/*", "*/", "/*!", "--", " -- ",
                "#", "\n", "(", ",", ";", "SELECT", " FROM ", "processlist", "x", " ", "é"};
        for (int n = 0; n < 20_000; n++) {
            StringBuilder sb = new StringBuilder();
            int k = r.nextInt(12);
            for (int i = 0; i < k; i++) {
                sb.append(parts[r.nextInt(parts.length)]);
            }
            rewritten(sb.toString(), r.nextInt(1_000_000));
            byte[] junk = new byte[r.nextInt(40)];
            r.nextBytes(junk);
            ByteBuf b = Unpooled.wrappedBuffer(junk);
            ByteBuf out = ConnectionIds.rewriteRow(ByteBufAllocator.DEFAULT, b, 0, junk.length,
                    new boolean[] {true, true, true}, Map.of(1L, 2L), 1);
            if (out != null) {
                out.release();
            }
        }
    }

    @Test
    void theWordCallAnywhereMarksAProcedureCall() {
        for (String sql : new String[] {"CALL p()", "call p()", "/* c */ CALL p()", "SELECT 1; call p()", "\tCALL\np()",
                "SELECT `call` FROM t"}) {
            io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.copiedBuffer(sql, java.nio.charset.StandardCharsets.UTF_8);
            assertTrue((ConnectionIds.mentions(b, 0, b.readableBytes()) & ConnectionIds.CALL_WORD) != 0, sql);
        }
        for (String sql : new String[] {"SELECT recall FROM t", "SELECT callback()", "SELECT 1", "SELECT call_id FROM t",
                "SELECT CONNECTION_ID()", "cal"}) {
            io.netty.buffer.ByteBuf b = io.netty.buffer.Unpooled.copiedBuffer(sql, java.nio.charset.StandardCharsets.UTF_8);
            assertEquals(0, ConnectionIds.mentions(b, 0, b.readableBytes()) & ConnectionIds.CALL_WORD, sql);
        }
        assertTrue(new SessionState.PreparedStatement(1, 1, "CALL p(?)", 1, 0).call);
        assertFalse(new SessionState.PreparedStatement(1, 1, "SELECT ?", 1, 1).call);
        assertFalse(new SessionState.PreparedStatement(1, 1, null, 0, 0).call);
    }
}
