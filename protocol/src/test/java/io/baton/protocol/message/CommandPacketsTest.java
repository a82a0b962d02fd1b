package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_CONNECT_ATTRS;
import static io.baton.protocol.Capabilities.CLIENT_PLUGIN_AUTH;
import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static io.baton.protocol.Capabilities.CLIENT_QUERY_ATTRIBUTES;
import static io.baton.protocol.Capabilities.CLIENT_SECURE_CONNECTION;
import static io.baton.protocol.TestBytes.buf;
import static io.baton.protocol.TestBytes.bytes;
import static io.baton.protocol.TestBytes.encode;
import static io.baton.protocol.TestBytes.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.Command;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.message.ComQuery.QueryAttribute;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CommandPacketsTest {

    @Test
    void commandPacketSplitsWithoutCopying() {
        ByteBuf payload = buf("03 53 45 4c 45 43 54 20 31"); // COM_QUERY "SELECT 1"
        CommandPacket c = CommandPacket.decode(payload);
        assertEquals(Command.COM_QUERY, c.command());
        assertArrayEquals(hex("53 45 4c 45 43 54 20 31"), bytes(c.body()));
        assertArrayEquals(hex("03 53 45 4c 45 43 54 20 31"), encode(c::encode));
        assertEquals(Command.COM_PING, CommandPacket.commandOf(buf("0e")));
        assertThrows(ProtocolException.class, () -> CommandPacket.commandOf(buf("")));
    }

    @Test
    void statementIdRewriteInPlace() {
        // COM_STMT_EXECUTE: id 1, no cursor, 1 iteration.
        ByteBuf exec = buf("17 | 01 00 00 00 | 00 | 01 00 00 00");
        assertEquals(1, CommandPacket.statementId(exec));
        CommandPacket.rewriteStatementId(exec, 0x01020304);
        assertArrayEquals(hex("17 04 03 02 01 00 01 00 00 00"), bytes(exec));
        assertEquals(0, exec.readerIndex());
        for (int cmd : new int[] {Command.COM_STMT_SEND_LONG_DATA, Command.COM_STMT_CLOSE, Command.COM_STMT_RESET,
                Command.COM_STMT_FETCH, Command.COM_STMT_BULK_EXECUTE}) {
            ByteBuf p = Unpooled.buffer().writeByte(cmd).writeIntLE(-5).writeIntLE(10);
            assertEquals(-5, CommandPacket.statementId(p));
            CommandPacket.rewriteStatementId(p, 77);
            assertEquals(77, p.getIntLE(1));
            assertEquals(10, p.getIntLE(5));
        }
        assertThrows(IllegalArgumentException.class, () -> CommandPacket.statementId(buf("03 01 00 00 00")));
        assertThrows(ProtocolException.class, () -> CommandPacket.rewriteStatementId(buf("19 01 00"), 3));
    }

    @Test
    void stmtExecuteHeader() {
        ComStmtExecute e = ComStmtExecute.decode(buf(
                "17"                // COM_STMT_EXECUTE
                        + "05 00 00 00" // statement_id 5
                        + "01"          // flags CURSOR_TYPE_READ_ONLY
                        + "01 00 00 00" // iteration_count 1
                        + "00 01 08 00 2a 00 00 00 00 00 00 00")); // null bitmap, bound, LONGLONG, 42
        assertEquals(5, e.statementId());
        assertTrue(e.requestsCursor());
        assertEquals(1, e.iterationCount());
        assertEquals(12, e.parameters().length);
        assertArrayEquals(hex("17 05 00 00 00 01 01 00 00 00 00 01 08 00 2a 00 00 00 00 00 00 00"), encode(e::encode));
        assertThrows(ProtocolException.class, () -> ComStmtExecute.decode(buf("17 05 00 00")));
    }

    @Test
    void comQueryPlainAndWithAttributes() {
        assertEquals(new ComQuery("SELECT 1"), ComQuery.decode(buf("03 53 45 4c 45 43 54 20 31"), CLIENT_PROTOCOL_41));
        int caps = CLIENT_PROTOCOL_41 | CLIENT_QUERY_ATTRIBUTES;
        // Without attributes but with the capability: count 0, set count 1.
        assertEquals(new ComQuery("SELECT 1"), ComQuery.decode(buf("03 00 01 53 45 4c 45 43 54 20 31"), caps));
        ComQuery q = ComQuery.decode(buf(
                "03"
                        + "02"              // parameter_count 2
                        + "01"              // parameter_set_count 1
                        + "02"              // null bitmap: second is NULL
                        + "01"              // new_params_bind_flag
                        + "fe 00 03 74 61 67"       // type STRING, name "tag"
                        + "08 80 02 69 64"          // type LONGLONG unsigned, name "id"
                        + "02 78 79"                // value of "tag": lenenc "xy"
                        + "53 45 4c 45 43 54 20 31"), caps); // "SELECT 1"
        assertEquals("SELECT 1", q.query());
        assertEquals(List.of(new QueryAttribute("tag", 0xFE, false, hex("02 78 79")),
                new QueryAttribute("id", 8, true, null)), q.attributes());
        assertEquals(q, ComQuery.decode(Unpooled.wrappedBuffer(encode(out -> q.encode(out, caps))), caps));

        ComQuery typed = new ComQuery("DO 1", List.of(
                new QueryAttribute("t", 7, false, hex("04 e8 07 01 02")),   // TIMESTAMP 2024-01-02
                new QueryAttribute("d", 5, false, new byte[8]),           // DOUBLE
                new QueryAttribute("y", 13, false, hex("e8 07"))));       // YEAR
        assertEquals(typed, ComQuery.decode(Unpooled.wrappedBuffer(encode(out -> typed.encode(out, caps))), caps));

        assertThrows(ProtocolException.class, () -> ComQuery.decode(buf("03 01 01 00 01 63 00 00"), caps)); // unknown type 0x63
        assertThrows(ProtocolException.class, () -> ComQuery.decode(buf("03 fe ff ff ff ff ff ff ff 7f 01"), caps));
    }

    @Test
    void changeUser() {
        int caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS;
        ComChangeUser c = ComChangeUser.decode(buf(
                "11"                          // COM_CHANGE_USER
                        + "62 6f 62 00"           // user "bob"
                        + "02 aa bb"              // auth response, 2 bytes
                        + "73 68 6f 70 00"        // database "shop"
                        + "2d 00"                 // character set 45
                        + "6d 79 73 71 6c 5f 6e 61 74 69 76 65 5f 70 61 73 73 77 6f 72 64 00" // plugin
                        + "05 01 6b 02 76 31"),   // attrs: 5 bytes, "k" -> "v1"
                caps);
        assertEquals(new ComChangeUser("bob", hex("aa bb"), "shop", 45, "mysql_native_password", Map.of("k", "v1")), c);
        assertEquals(c, ComChangeUser.decode(Unpooled.wrappedBuffer(encode(out -> c.encode(out, caps))), caps));
        ComChangeUser minimal = ComChangeUser.decode(buf("11 62 6f 62 00 00 00"), CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION);
        assertEquals(new ComChangeUser("bob", new byte[0], "", 0, null, null), minimal);
        assertThrows(ProtocolException.class, () -> ComChangeUser.decode(buf("11 62 6f 62 00 05 00"), caps));
    }
}
