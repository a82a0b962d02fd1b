package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_DEPRECATE_EOF;
import static io.baton.protocol.Capabilities.CLIENT_OPTIONAL_RESULTSET_METADATA;
import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static io.baton.protocol.Capabilities.CLIENT_SESSION_TRACK;
import static io.baton.protocol.Capabilities.CLIENT_TRANSACTIONS;
import static io.baton.protocol.ServerStatus.SERVER_SESSION_STATE_CHANGED;
import static io.baton.protocol.ServerStatus.SERVER_STATUS_AUTOCOMMIT;
import static io.baton.protocol.ServerStatus.SERVER_STATUS_IN_TRANS;
import static io.baton.protocol.TestBytes.buf;
import static io.baton.protocol.TestBytes.bytes;
import static io.baton.protocol.TestBytes.encode;
import static io.baton.protocol.TestBytes.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.MySqlError;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.message.SessionStateChange.Gtids;
import io.baton.protocol.message.SessionStateChange.Schema;
import io.baton.protocol.message.SessionStateChange.StateChange;
import io.baton.protocol.message.SessionStateChange.SystemVariable;
import io.baton.protocol.message.SessionStateChange.TransactionCharacteristics;
import io.baton.protocol.message.SessionStateChange.TransactionState;
import io.baton.protocol.message.SessionStateChange.Unknown;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResponsePacketsTest {

    private static final int P41 = CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS;
    private static final int TRACK = P41 | CLIENT_SESSION_TRACK;

    // ---------------------------------------------------------------- OK

    @Test
    void okFromTheManual() {
        OkPacket ok = OkPacket.decode(buf(
                "00"        // header
                        + "00"  // affected_rows 0
                        + "00"  // last_insert_id 0
                        + "02 00"   // status AUTOCOMMIT
                        + "00 00"), // warnings 0
                P41);
        assertEquals(OkPacket.of(SERVER_STATUS_AUTOCOMMIT), ok);
        assertArrayEquals(hex("00 00 00 02 00 00 00"), encode(out -> ok.encode(out, P41)));
    }

    @Test
    void okWithInfoAndLargeCounts() {
        ByteBuf in = buf(
                "00"
                        + "fd 40 42 0f"              // affected_rows 1000000 (0xFD + 3 bytes)
                        + "fc e8 03"                 // last_insert_id 1000
                        + "03 00"                    // IN_TRANS | AUTOCOMMIT
                        + "02 00"                    // 2 warnings
                        + "2c 52 65 63 6f 72 64 73 3a 20 31 30 30 30 30 30 30 20 20 44 75 70 6c 69 63 61 74 65 73 3a 20 30 20 20 57 61 72 6e 69 6e 67 73 3a 20 32");
        // info: lenenc (0x2c = 44) "Records: 1000000  Duplicates: 0  Warnings: 2", as net_send_ok writes it
        OkPacket ok = OkPacket.decode(in, P41);
        assertEquals(1_000_000, ok.affectedRows());
        assertEquals(1000, ok.lastInsertId());
        assertEquals(SERVER_STATUS_IN_TRANS | SERVER_STATUS_AUTOCOMMIT, ok.statusFlags());
        assertEquals(2, ok.warnings());
        assertEquals("Records: 1000000  Duplicates: 0  Warnings: 2", ok.info());
        // The manual's string<EOF> form (no length prefix) is accepted too without CLIENT_SESSION_TRACK.
        assertEquals("Rows matched: 1", OkPacket.decode(buf("00 00 00 02 00 00 00 52 6f 77 73 20 6d 61 74 63 68 65 64 3a 20 31"), P41).info());

        OkPacket proper = new OkPacket(0, 1_000_000, 1000, 3, 2, "Records: 3  Duplicates: 0  Warnings: 2", List.of());
        for (int caps : new int[] {P41, TRACK}) {
            byte[] wire = encode(out -> proper.encode(out, caps));
            assertEquals(proper, OkPacket.decode(Unpooled.wrappedBuffer(wire), caps));
        }
    }

    @Test
    void okWithSessionStateFromTheManual() {
        // After SET autocommit = OFF, then USE test (entries from the manual's examples).
        ByteBuf in = buf(
                "00 00 00"         // header, affected rows, last insert id
                        + "00 40"      // status: SESSION_STATE_CHANGED
                        + "00 00"      // warnings
                        + "00"         // info: empty lenenc (present because state changed)
                        + "18"         // session state info: 24 bytes
                        + "00 0f 0a 61 75 74 6f 63 6f 6d 6d 69 74 03 4f 46 46" // SYSTEM_VARIABLES autocommit=OFF
                        + "01 05 04 74 65 73 74");                                // SCHEMA test
        OkPacket ok = OkPacket.decode(in, TRACK);
        assertEquals(List.of(new SystemVariable("autocommit", "OFF"), new Schema("test")), ok.sessionStateChanges());
        assertFalse(in.isReadable());
        assertArrayEquals(bytes(buf("00 00 00 00 40 00 00 00 18 00 0f 0a 61 75 74 6f 63 6f 6d 6d 69 74 03 4f 46 46 01 05 04 74 65 73 74")),
                encode(out -> ok.encode(out, TRACK)));
    }

    @Test
    void okWithAStateChangeAsMysqlSendsIt() {
        // After SET @v = 1 with session_track_state_change = ON (bytes as MySQL 8.0 sends them): the entry's data is
        // the bare flag, no length inside it.
        ByteBuf in = buf("00 00 00 02 40 00 00 00 03 02 01 31");
        OkPacket ok = OkPacket.decode(in, TRACK);
        assertEquals(List.of(new StateChange(true)), ok.sessionStateChanges());
        assertFalse(in.isReadable());
        assertArrayEquals(hex("00 00 00 02 40 00 00 00 03 02 01 31"), encode(out -> ok.encode(out, TRACK)));
        // A flag that is neither "1" nor "0", or longer than one byte, is kept verbatim.
        assertEquals(List.of(new Unknown(2, hex("01 31"))),
                OkPacket.decode(buf("00 00 00 02 40 00 00 00 04 02 02 01 31"), TRACK).sessionStateChanges());
    }

    @Test
    void everySessionStateTypeRoundTrips() {
        OkPacket ok = new OkPacket(OkPacket.HEADER, 1, 0, SERVER_SESSION_STATE_CHANGED | SERVER_STATUS_IN_TRANS, 0, "",
                List.of(
                        new SystemVariable("character_set_client", "utf8mb4"),
                        new Schema("shop"),
                        new StateChange(true),
                        new Gtids(0, "3e11fa47-71ca-11e1-9e33-c80aa9429562:1-5"),
                        new TransactionCharacteristics("START TRANSACTION READ ONLY;"),
                        new TransactionState("T___W___"),
                        new Unknown(200, new byte[] {1, 2, 3})));
        byte[] wire = encode(out -> ok.encode(out, TRACK));
        OkPacket back = OkPacket.decode(Unpooled.wrappedBuffer(wire), TRACK);
        assertEquals(ok, back);
        TransactionState ts = (TransactionState) back.sessionStateChanges().get(5);
        assertTrue(ts.active());
        assertFalse(ts.lockTables());
        assertTrue(new TransactionState("T______L").lockTables());
    }

    @Test
    void unparsableSessionEntryIsKeptVerbatim() {
        // SCHEMA entry whose data is a lenenc claiming 9 bytes with only 2 present.
        ByteBuf in = buf("00 00 00 00 40 00 00 00 05 01 03 09 61 62");
        OkPacket ok = OkPacket.decode(in, TRACK);
        assertEquals(List.of(new Unknown(1, hex("09 61 62"))), ok.sessionStateChanges());
    }

    @Test
    void withoutSessionStateForOldClients() {
        OkPacket ok = new OkPacket(OkPacket.HEADER, 5, 7, SERVER_SESSION_STATE_CHANGED | SERVER_STATUS_AUTOCOMMIT, 1, "info",
                List.of(new Schema("db1")));
        OkPacket stripped = ok.withoutSessionState();
        assertEquals(SERVER_STATUS_AUTOCOMMIT, stripped.statusFlags());
        assertTrue(stripped.sessionStateChanges().isEmpty());
        byte[] expected = encode(out -> stripped.encode(out, P41));
        assertArrayEquals(hex("00 05 07 02 00 01 00 04 69 6e 66 6f"), expected);

        // The raw hot-path version produces the same bytes from the backend's encoding.
        byte[] backend = encode(out -> ok.encode(out, TRACK));
        ByteBuf raw = Unpooled.wrappedBuffer(backend);
        ByteBuf out = Unpooled.buffer();
        OkPacket.stripSessionState(raw, TRACK, out);
        assertArrayEquals(expected, bytes(out));
        assertEquals(0, raw.readerIndex());

        // 0xFE OK-as-EOF with session state and an empty info.
        OkPacket eofOk = new OkPacket(OkPacket.EOF_HEADER, 0, 0, SERVER_SESSION_STATE_CHANGED, 0, "",
                List.of(new StateChange(true)));
        ByteBuf out2 = Unpooled.buffer();
        OkPacket.stripSessionState(Unpooled.wrappedBuffer(encode(o -> eofOk.encode(o, TRACK))), TRACK, out2);
        // header 0xFE, 0, 0, status 0, warnings 0, info "" (kept: valid for any client).
        assertArrayEquals(hex("fe 00 00 00 00 00 00 00"), bytes(out2));
        assertEquals(eofOk.withoutSessionState(), OkPacket.decode(out2, P41));

        // Nothing to strip: copied unchanged.
        ByteBuf plain = buf("00 00 00 02 00 00 00");
        ByteBuf out3 = Unpooled.buffer();
        OkPacket.stripSessionState(plain, TRACK, out3);
        assertArrayEquals(hex("00 00 00 02 00 00 00"), bytes(out3));

        assertThrows(ProtocolException.class, () -> OkPacket.stripSessionState(buf("00 00"), TRACK, Unpooled.buffer()));
        assertThrows(ProtocolException.class,
                () -> OkPacket.stripSessionState(buf("00 00 00 00 40 00 00 09 61"), TRACK, Unpooled.buffer()));
    }

    @Test
    void okAsEofHeader() {
        OkPacket ok = OkPacket.decode(buf("fe 00 00 22 00 00 00"), P41 | CLIENT_DEPRECATE_EOF);
        assertTrue(ok.isEofForm());
        assertEquals(0x22, ok.statusFlags());
        assertThrows(ProtocolException.class, () -> OkPacket.decode(buf("ff 00 00"), P41));
        assertThrows(ProtocolException.class, () -> OkPacket.decode(buf("00 00 00 02"), P41));
    }

    @Test
    void okWithoutProtocol41() {
        // CLIENT_TRANSACTIONS only: status, no warnings.
        OkPacket ok = OkPacket.decode(buf("00 01 00 02 00"), CLIENT_TRANSACTIONS);
        assertEquals(1, ok.affectedRows());
        assertEquals(2, ok.statusFlags());
        // Neither: no status at all.
        assertEquals(0, OkPacket.decode(buf("00 01 00"), 0).statusFlags());
    }

    // ---------------------------------------------------------------- ERR

    @Test
    void errFromTheManual() {
        ErrPacket err = ErrPacket.decode(buf(
                "ff"                 // header
                        + "48 04"        // error_code 1096
                        + "23"           // '#'
                        + "48 59 30 30 30"   // sql_state HY000
                        + "4e 6f 20 74 61 62 6c 65 73 20 75 73 65 64"), // "No tables used"
                P41);
        assertEquals(new ErrPacket(1096, "HY000", "No tables used"), err);
        assertArrayEquals(hex("ff 48 04 23 48 59 30 30 30 4e 6f 20 74 61 62 6c 65 73 20 75 73 65 64"),
                encode(out -> err.encode(out, P41)));
    }

    @Test
    void errBeforeHandshakeHasNoSqlState() {
        // 1040 Too many connections, as sent instead of a HandshakeV10.
        byte[] wire = encode(out -> MySqlError.ER_CON_COUNT_ERROR.toErrPacket().encode(out, 0));
        assertArrayEquals(hex("ff 10 04 54 6f 6f 20 6d 61 6e 79 20 63 6f 6e 6e 65 63 74 69 6f 6e 73"), wire);
        ErrPacket err = ErrPacket.decode(Unpooled.wrappedBuffer(wire));
        assertNull(err.sqlState());
        assertEquals("Too many connections", err.message());
        assertEquals(MySqlError.ER_CON_COUNT_ERROR, err.toError());
        // Without CLIENT_PROTOCOL_41 a '#' is part of the message.
        assertEquals("#HY000x", ErrPacket.decode(buf("ff 01 00 23 48 59 30 30 30 78"), 0).message());
        assertTrue(new ErrPacket(0xFFFF, null, "").isProgressReport());
    }

    // ---------------------------------------------------------------- EOF

    @Test
    void eofFromTheManual() {
        EofPacket eof = EofPacket.decode(buf("fe | 00 00 | 02 00"), P41); // warnings 0, status AUTOCOMMIT
        assertEquals(new EofPacket(0, SERVER_STATUS_AUTOCOMMIT), eof);
        assertArrayEquals(hex("fe 00 00 02 00"), encode(out -> eof.encode(out, P41)));
        assertArrayEquals(hex("fe"), encode(out -> eof.encode(out, 0)));
        assertTrue(EofPacket.isEof(0xFE, 5));
        assertFalse(EofPacket.isEof(0xFE, 9));
        assertThrows(ProtocolException.class, () -> EofPacket.decode(buf("fe 00 00 00 00 00 00 00 00"), P41));
        assertThrows(ProtocolException.class, () -> EofPacket.decode(buf("fe 00"), P41));
    }

    // ---------------------------------------------------------------- result set metadata

    @Test
    void columnCount() {
        assertEquals(new ColumnCount(1, ColumnCount.METADATA_FULL), ColumnCount.decode(buf("01"), P41));
        assertEquals(new ColumnCount(300, ColumnCount.METADATA_NONE),
                ColumnCount.decode(buf("fc 2c 01 | 00"), P41 | CLIENT_OPTIONAL_RESULTSET_METADATA));
        ColumnCount c = new ColumnCount(251, ColumnCount.METADATA_FULL);
        int caps = P41 | CLIENT_OPTIONAL_RESULTSET_METADATA;
        assertEquals(c, ColumnCount.decode(Unpooled.wrappedBuffer(encode(out -> c.encode(out, caps))), caps));
        assertThrows(ProtocolException.class, () -> ColumnCount.decode(buf("00"), P41));
        assertThrows(ProtocolException.class, () -> ColumnCount.decode(buf("01 02"), caps));
    }

    @Test
    void columnDefinitionFromTheManual() {
        ColumnDefinition41 c = ColumnDefinition41.decode(buf(
                "03 64 65 66"                // catalog "def"
                        + "00"                   // schema ""
                        + "00"                   // table ""
                        + "00"                   // org_table ""
                        + "11 40 40 76 65 72 73 69 6f 6e 5f 63 6f 6d 6d 65 6e 74" // name "@@version_comment"
                        + "00"                   // org_name ""
                        + "0c"                   // length of fixed fields
                        + "08 00"                // character_set 8 (latin1_swedish_ci)
                        + "1c 00 00 00"          // column_length 28
                        + "fd"                   // type VAR_STRING
                        + "00 00"                // flags
                        + "1f"                   // decimals 31
                        + "00 00"));             // filler
        assertEquals(new ColumnDefinition41("", "", "", "@@version_comment", "", 8, 28, 0xFD, 0, 0x1F), c);
        assertFalse(c.hasDefault());
        assertArrayEquals(hex("03 64 65 66 00 00 00 11 40 40 76 65 72 73 69 6f 6e 5f 63 6f 6d 6d 65 6e 74 00 0c 08 00 1c 00 00 00 fd 00 00 1f 00 00"),
                encode(c::encode));
    }

    @Test
    void columnDefinitionWithDefaultsRoundTrips() {
        for (byte[] dflt : new byte[][] {null, hex("31 32")}) {
            ColumnDefinition41 c = new ColumnDefinition41("def", "shop", "o", "orders", "id", "id", 63, 11, 3, 0x4203, 0, true, dflt);
            assertEquals(c, ColumnDefinition41.decode(Unpooled.wrappedBuffer(encode(c::encode))));
        }
        // A fixed-field length below 10 is malformed.
        assertThrows(ProtocolException.class, () -> ColumnDefinition41.decode(buf("00 00 00 00 00 00 09 00 00 00 00 00 00 00 00 00")));
    }

    @Test
    void prepareOkFromTheManual() {
        ComStmtPrepareOk ok = ComStmtPrepareOk.decode(buf(
                "00"               // status OK
                        + "01 00 00 00"    // statement_id 1
                        + "01 00"          // num_columns 1
                        + "02 00"          // num_params 2
                        + "00"             // filler
                        + "00 00"),        // warning_count 0
                P41);
        assertEquals(new ComStmtPrepareOk(1, 1, 2, 0, ColumnCount.METADATA_FULL), ok);
        assertArrayEquals(hex("00 01 00 00 00 01 00 02 00 00 00 00"), encode(out -> ok.encode(out, P41)));
        int caps = P41 | CLIENT_OPTIONAL_RESULTSET_METADATA;
        ComStmtPrepareOk none = new ComStmtPrepareOk(-2, 0, 65535, 3, ColumnCount.METADATA_NONE);
        assertEquals(none, ComStmtPrepareOk.decode(Unpooled.wrappedBuffer(encode(out -> none.encode(out, caps))), caps));
        assertThrows(ProtocolException.class, () -> ComStmtPrepareOk.decode(buf("00 01 00 00 00 01 00"), P41));
    }
}
