package io.baton.protocol;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.message.ErrPacket;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ConstantsTest {

    @Test
    void capabilityBitsMatchTheManual() {
        assertEquals(0x00000200, Capabilities.CLIENT_PROTOCOL_41);
        assertEquals(0x00008000, Capabilities.CLIENT_SECURE_CONNECTION);
        assertEquals(0x00080000, Capabilities.CLIENT_PLUGIN_AUTH);
        assertEquals(0x00200000, Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA);
        assertEquals(0x00800000, Capabilities.CLIENT_SESSION_TRACK);
        assertEquals(0x01000000, Capabilities.CLIENT_DEPRECATE_EOF);
        assertEquals(0x08000000, Capabilities.CLIENT_QUERY_ATTRIBUTES);
        assertEquals("CLIENT_DEPRECATE_EOF", Capabilities.name(Capabilities.CLIENT_DEPRECATE_EOF));
        assertEquals("CLIENT_SSL|CLIENT_REMEMBER_OPTIONS",
                Capabilities.toString(Capabilities.CLIENT_SSL | Capabilities.CLIENT_REMEMBER_OPTIONS));
        assertTrue(Capabilities.has(0x0A00, Capabilities.CLIENT_SSL));
    }

    @Test
    void statusAndCommands() {
        assertEquals(0x4000, ServerStatus.SERVER_SESSION_STATE_CHANGED);
        assertEquals("SERVER_STATUS_IN_TRANS|SERVER_STATUS_AUTOCOMMIT", ServerStatus.toString(3));
        assertEquals("COM_STMT_FETCH", Command.name(0x1C));
        assertEquals("COM_RESET_CONNECTION", Command.name(0x1F));
        assertEquals("COM_STMT_BULK_EXECUTE", Command.name(0xFA));
        assertEquals("COM_UNKNOWN(0x63)", Command.name(0x63));
        assertFalse(Command.expectsResponse(Command.COM_STMT_CLOSE));
        assertTrue(Command.expectsResponse(Command.COM_STMT_RESET));
        assertEquals("TRANSACTION_STATE", SessionTrackType.name(5));
    }

    @Test
    void collations() {
        assertEquals("utf8mb4_0900_ai_ci", Collations.byId(255).orElseThrow().name());
        assertEquals(33, Collations.byName("utf8_general_ci").orElseThrow().id());
        assertEquals("latin1", Collations.byId(8).orElseThrow().charsetName());
        assertEquals(StandardCharsets.UTF_8, Collations.javaCharset(224));
        assertEquals(StandardCharsets.ISO_8859_1, Collations.javaCharset(63));
        assertEquals(StandardCharsets.UTF_8, Collations.javaCharset(9999));
        assertEquals(46, Collations.byName("UTF8MB4_BIN").orElseThrow().id());
        assertEquals(255, Collations.defaultFor("utf8mb4").orElseThrow().id());
        assertEquals(8, Collations.defaultFor("latin1").orElseThrow().id());
    }

    @Test
    void errors() {
        assertEquals("40001", MySqlError.ER_LOCK_DEADLOCK.sqlState());
        assertEquals("28000", MySqlError.sqlStateFor(1045));
        assertEquals("HY000", MySqlError.sqlStateFor(4242));
        assertEquals(new MySqlError(1049, "42000", "Unknown database 'x'"), MySqlError.unknownDatabase("x"));
        assertEquals("Access denied for user 'app'@'10.0.0.1' (using password: YES)",
                MySqlError.accessDenied("app", "10.0.0.1", true).message());
        ErrPacket p = MySqlError.ER_QUERY_TIMEOUT.toErrPacket();
        assertEquals(3024, p.errno());
        assertEquals(MySqlError.ER_QUERY_TIMEOUT, p.toError());
        ProtocolException e = ProtocolException.tooLarge(10, 5);
        assertEquals(MySqlError.ER_NET_PACKET_TOO_LARGE, e.error());
    }
}
