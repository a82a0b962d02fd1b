package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_CONNECT_ATTRS;
import static io.baton.protocol.Capabilities.CLIENT_CONNECT_WITH_DB;
import static io.baton.protocol.Capabilities.CLIENT_DEPRECATE_EOF;
import static io.baton.protocol.Capabilities.CLIENT_LONG_PASSWORD;
import static io.baton.protocol.Capabilities.CLIENT_PLUGIN_AUTH;
import static io.baton.protocol.Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static io.baton.protocol.Capabilities.CLIENT_SECURE_CONNECTION;
import static io.baton.protocol.Capabilities.CLIENT_SESSION_TRACK;
import static io.baton.protocol.Capabilities.CLIENT_SSL;
import static io.baton.protocol.Capabilities.CLIENT_TRANSACTIONS;
import static io.baton.protocol.Capabilities.CLIENT_ZSTD_COMPRESSION_ALGORITHM;
import static io.baton.protocol.TestBytes.buf;
import static io.baton.protocol.TestBytes.encode;
import static io.baton.protocol.TestBytes.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.Collations;
import io.baton.protocol.MySqlError;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.auth.CachingSha2Password;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConnectionPhaseTest {

    private static final byte[] SCRAMBLE = "abcdefghijklmnopqrst".getBytes(StandardCharsets.US_ASCII);

    @Test
    void handshakeV10FromTheManual() {
        // MySQL 5.5.2-m2, from the HandshakeV10 manual page (no CLIENT_PLUGIN_AUTH).
        HandshakeV10 h = HandshakeV10.decode(buf(
                "0a"                                   // protocol 10
                        + "35 2e 35 2e 32 2d 6d 32 00"     // "5.5.2-m2"
                        + "0b 00 00 00"                    // connection id 11
                        + "64 76 48 40 49 2d 43 4a"        // auth-plugin-data part 1 "dvH@I-CJ"
                        + "00"                             // filler
                        + "ff f7"                          // capability flags, lower
                        + "08"                             // character set latin1_swedish_ci
                        + "02 00"                          // status AUTOCOMMIT
                        + "00 00"                          // capability flags, upper
                        + "00"                             // auth-plugin-data length (no PLUGIN_AUTH)
                        + "00 00 00 00 00 00 00 00 00 00"  // reserved
                        + "2a 34 64 7c 63 5a 77 6b 34 5e 5d 3a 00")); // part 2 "*4d|cZwk4^]:" + NUL
        assertEquals("5.5.2-m2", h.serverVersion());
        assertEquals(11, h.connectionId());
        assertEquals("dvH@I-CJ*4d|cZwk4^]:", new String(h.authPluginData(), StandardCharsets.US_ASCII));
        assertEquals(0xF7FF, h.capabilities());
        assertEquals(8, h.characterSet());
        assertEquals(2, h.statusFlags());
        assertNull(h.authPluginName());
        assertEquals(0, h.mariaDbExtendedCapabilities());
    }

    @Test
    void handshakeV10Mysql8RoundTrip() {
        int caps = 0xFFFFF7FF & ~CLIENT_SSL;
        HandshakeV10 h = new HandshakeV10("8.0.31-baton", 42, SCRAMBLE, caps, Collations.UTF8MB4_0900_AI_CI, 2,
                CachingSha2Password.PLUGIN_NAME, 0);
        byte[] wire = encode(h::encode);
        // 1 + 13 + 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10 + 13 + 22
        assertEquals(80, wire.length);
        assertEquals(21, wire[1 + 13 + 4 + 8 + 1 + 2 + 1 + 2 + 2]); // auth-plugin-data length 20 + NUL
        assertEquals(h, HandshakeV10.decode(Unpooled.wrappedBuffer(wire)));
    }

    @Test
    void handshakeV10MariaDbExtendedCapabilities() {
        int caps = (CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_TRANSACTIONS)
                & ~CLIENT_LONG_PASSWORD;
        HandshakeV10 h = new HandshakeV10("5.5.5-10.11.6-MariaDB", 7, SCRAMBLE, caps, 45, 2,
                "mysql_native_password", 0x1D);
        HandshakeV10 back = HandshakeV10.decode(Unpooled.wrappedBuffer(encode(h::encode)));
        assertEquals(0x1D, back.mariaDbExtendedCapabilities());
        assertEquals(h, back);
        assertThrows(IllegalArgumentException.class,
                () -> new HandshakeV10("x", 1, SCRAMBLE, caps | CLIENT_LONG_PASSWORD, 45, 2, "p", 1));
    }

    @Test
    void handshakeReplacedByErr() {
        byte[] wire = encode(out -> MySqlError.ER_CON_COUNT_ERROR.toErrPacket().encode(out, 0));
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> HandshakeV10.decode(Unpooled.wrappedBuffer(wire)));
        assertEquals(1040, e.error().errno());
        assertEquals("08004", e.error().sqlState());
        assertEquals(1043, assertThrows(ProtocolException.class, () -> HandshakeV10.decode(buf("09 00"))).error().errno());
    }

    @Test
    void sslRequest() {
        SslRequest r = SslRequest.decode(buf(
                "00 0a 00 00"     // caps: SSL | PROTOCOL_41  (0x0a00)
                        + "00 00 00 01"   // max packet 16 MiB
                        + "2d"            // utf8mb4_general_ci
                        + "00".repeat(23)));
        assertEquals(new SslRequest(CLIENT_SSL | CLIENT_PROTOCOL_41, 1 << 24, 45, 0), r);
        assertTrue(SslRequest.isSslRequest(Unpooled.wrappedBuffer(encode(r::encode))));
        assertEquals(32, encode(r::encode).length);
        assertFalse(SslRequest.isSslRequest(buf("00 02 00 00" + "00".repeat(28))));
        assertThrows(ProtocolException.class, () -> SslRequest.decode(buf("00 0a 00 00")));
    }

    @Test
    void handshakeResponseFromTheManual() {
        HandshakeResponse41 r = HandshakeResponse41.decode(buf(
                "8d a6 0f 00"                  // client flags 0x000fa68d
                        + "00 00 00 01"            // max packet 16 MiB
                        + "08"                     // latin1_swedish_ci
                        + "00".repeat(23)          // filler
                        + "70 61 6d 00"            // user "pam"
                        + "14 ab 09 ee f6 bc b1 32 3e 61 14 38 65 c0 99 1d 95 7d 75 d4 47" // auth: 20 bytes
                        + "74 65 73 74 00"         // database "test"
                        + "6d 79 73 71 6c 5f 6e 61 74 69 76 65 5f 70 61 73 73 77 6f 72 64 00")); // plugin
        assertEquals(0x000FA68D, r.capabilities());
        assertEquals(16777216, r.maxPacketSize());
        assertEquals(8, r.characterSet());
        assertEquals("pam", r.username());
        assertArrayEquals(hex("ab09eef6bcb1323e61143865c0991d957d75d447"), r.authResponse());
        assertEquals("test", r.database());
        assertEquals("mysql_native_password", r.authPluginName());
        assertNull(r.connectAttributes());
        assertFalse(r.toString().contains("ab09"));
        assertEquals(84, encode(r::encode).length);
        assertEquals(r, HandshakeResponse41.decode(Unpooled.wrappedBuffer(encode(r::encode))));
    }

    @Test
    void handshakeResponseAllFieldsRoundTrip() {
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("_client_name", "libmysql");
        attrs.put("_pid", "4242");
        attrs.put("program_name", "mysqlsh—ünïcode");
        int caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH
                | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_CONNECT_WITH_DB | CLIENT_CONNECT_ATTRS
                | CLIENT_DEPRECATE_EOF | CLIENT_SESSION_TRACK | CLIENT_ZSTD_COMPRESSION_ALGORITHM | CLIENT_LONG_PASSWORD;
        HandshakeResponse41 r = new HandshakeResponse41(caps, 1 << 30, 255, 0, "app_ü", new byte[300],
                "shop", "caching_sha2_password", attrs, 3);
        HandshakeResponse41 back = HandshakeResponse41.decode(Unpooled.wrappedBuffer(encode(r::encode)));
        assertEquals(r, back);
        assertEquals(attrs, back.connectAttributes());
        assertEquals(3, back.zstdCompressionLevel());

        // Without LENENC_CLIENT_DATA the auth response has a 1-byte length, and no CONNECT_WITH_DB.
        int small = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION;
        HandshakeResponse41 s = new HandshakeResponse41(small, 0, 33, 0, "u", new byte[20], null, null, null, 0);
        assertEquals(s, HandshakeResponse41.decode(Unpooled.wrappedBuffer(encode(s::encode))));
        assertThrows(IllegalArgumentException.class,
                () -> encode(new HandshakeResponse41(small, 0, 33, 0, "u", new byte[256], null, null, null, 0)::encode));
    }

    @Test
    void handshakeResponseToleratesMissingTrailingFields() {
        // CONNECT_WITH_DB and PLUGIN_AUTH flagged, but the packet ends after the auth response.
        int caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_CONNECT_WITH_DB | CLIENT_PLUGIN_AUTH;
        ByteBuf in = Unpooled.buffer();
        in.writeIntLE(caps).writeIntLE(0).writeByte(33).writeZero(23).writeBytes(hex("75 00 00"));
        HandshakeResponse41 r = HandshakeResponse41.decode(in);
        assertEquals("u", r.username());
        assertNull(r.database());
        assertNull(r.authPluginName());
        // Pre-4.1 responses are refused.
        assertEquals(1043, assertThrows(ProtocolException.class,
                () -> HandshakeResponse41.decode(buf("00 00 00 00" + "00".repeat(30)))).error().errno());
    }

    @Test
    void authSwitchRequest() {
        AuthSwitchRequest a = AuthSwitchRequest.decode(buf(
                "fe"
                        + "6d 79 73 71 6c 5f 6e 61 74 69 76 65 5f 70 61 73 73 77 6f 72 64 00" // plugin name
                        + "61 62 63 64 65 66 67 68 69 6a 6b 6c 6d 6e 6f 70 71 72 73 74 00")); // scramble + NUL
        assertEquals("mysql_native_password", a.pluginName());
        assertArrayEquals(SCRAMBLE, a.scramble());
        assertEquals(21, a.pluginData().length);
        assertEquals(a, AuthSwitchRequest.withScramble("mysql_native_password", SCRAMBLE));
        assertEquals(a, AuthSwitchRequest.decode(Unpooled.wrappedBuffer(encode(a::encode))));
        AuthSwitchRequest old = AuthSwitchRequest.decode(buf("fe"));
        assertTrue(old.isOldAuthSwitch());
        assertArrayEquals(hex("fe"), encode(old::encode));
    }

    @Test
    void authMoreData() {
        AuthMoreData fast = AuthMoreData.decode(buf("01 03"));
        assertTrue(fast.is(CachingSha2Password.FAST_AUTH_SUCCESS));
        AuthMoreData full = AuthMoreData.decode(buf("01 04"));
        assertTrue(full.is(CachingSha2Password.PERFORM_FULL_AUTHENTICATION));
        AuthMoreData key = new AuthMoreData("-----BEGIN PUBLIC KEY-----\n...".getBytes(StandardCharsets.US_ASCII));
        assertEquals(key, AuthMoreData.decode(Unpooled.wrappedBuffer(encode(key::encode))));
        assertThrows(ProtocolException.class, () -> AuthMoreData.decode(buf("02 03")));
    }
}
