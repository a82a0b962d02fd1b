package io.baton.protocol;

import static io.baton.protocol.Capabilities.CLIENT_DEPRECATE_EOF;
import static io.baton.protocol.Capabilities.CLIENT_LOCAL_FILES;
import static io.baton.protocol.Capabilities.CLIENT_MULTI_RESULTS;
import static io.baton.protocol.Capabilities.CLIENT_MULTI_STATEMENTS;
import static io.baton.protocol.Capabilities.CLIENT_OPTIONAL_RESULTSET_METADATA;
import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static io.baton.protocol.Capabilities.CLIENT_PS_MULTI_RESULTS;
import static io.baton.protocol.Capabilities.CLIENT_SECURE_CONNECTION;
import static io.baton.protocol.Capabilities.CLIENT_SESSION_TRACK;
import static io.baton.protocol.Capabilities.CLIENT_TRANSACTIONS;
import static io.baton.protocol.ResponseFramer.PacketKind.AUTH_MORE_DATA;
import static io.baton.protocol.ResponseFramer.PacketKind.AUTH_SWITCH_REQUEST;
import static io.baton.protocol.ResponseFramer.PacketKind.COLUMN_COUNT;
import static io.baton.protocol.ResponseFramer.PacketKind.COLUMN_DEFINITION;
import static io.baton.protocol.ResponseFramer.PacketKind.CONTINUATION;
import static io.baton.protocol.ResponseFramer.PacketKind.ROW;
import static io.baton.protocol.ResponseFramer.Step.AUTH_CONTINUE;
import static io.baton.protocol.ResponseFramer.Step.COMPLETE;
import static io.baton.protocol.ResponseFramer.Step.LOCAL_INFILE;
import static io.baton.protocol.ResponseFramer.Step.MORE;
import static io.baton.protocol.ServerStatus.SERVER_MORE_RESULTS_EXISTS;
import static io.baton.protocol.ServerStatus.SERVER_PS_OUT_PARAMS;
import static io.baton.protocol.ServerStatus.SERVER_SESSION_STATE_CHANGED;
import static io.baton.protocol.ServerStatus.SERVER_STATUS_AUTOCOMMIT;
import static io.baton.protocol.ServerStatus.SERVER_STATUS_CURSOR_EXISTS;
import static io.baton.protocol.ServerStatus.SERVER_STATUS_IN_TRANS;
import static io.baton.protocol.ServerStatus.SERVER_STATUS_LAST_ROW_SENT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.ResponseFramer.PacketKind;
import io.baton.protocol.ResponseFramer.Step;
import io.baton.protocol.message.AuthMoreData;
import io.baton.protocol.message.AuthSwitchRequest;
import io.baton.protocol.message.ComStmtPrepareOk;
import io.baton.protocol.message.OkPacket;
import io.baton.protocol.message.SessionStateChange;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ResponseFramerTest {

    static final int LEGACY = CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION
            | CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS | CLIENT_PS_MULTI_RESULTS | CLIENT_LOCAL_FILES
            | CLIENT_SESSION_TRACK;
    static final int MODERN = LEGACY | CLIENT_DEPRECATE_EOF;
    static final int AC = SERVER_STATUS_AUTOCOMMIT;
    static final int MORE_AC = SERVER_MORE_RESULTS_EXISTS | SERVER_STATUS_AUTOCOMMIT;

    private final ResponseFramer framer = new ResponseFramer();

    /** Feeds the script and checks that only the last frame completes the response. */
    private List<Step> run(int command, ServerScript script) {
        framer.begin(command, script.caps());
        List<Step> steps = script.feed(framer, 1);
        for (int i = 0; i < steps.size() - 1; i++) {
            assertEquals(MORE, steps.get(i), "frame " + i + " of " + steps.size());
        }
        assertEquals(COMPLETE, steps.get(steps.size() - 1));
        assertTrue(framer.isComplete());
        return steps;
    }

    private static ServerScript script(int caps) {
        return new ServerScript(caps);
    }

    // ---------------------------------------------------------------- COM_QUERY

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void queryOk(int caps) {
        run(Command.COM_QUERY, script(caps).ok(SERVER_STATUS_IN_TRANS));
        assertEquals(PacketKind.OK, framer.packetKind());
        assertTrue(framer.inTransaction());
        assertFalse(framer.autocommit());
        assertTrue(framer.isSuccess());
        assertEquals(1, framer.resultCount());
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void queryErr(int caps) {
        run(Command.COM_QUERY, script(caps).err(1064));
        assertTrue(framer.isError());
        assertEquals(1064, framer.errorCode());
        assertEquals(-1, framer.statusFlags());
        assertFalse(framer.inTransaction());
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void queryResultSet(int caps) {
        ServerScript s = script(caps).resultSet(3, 5, AC);
        List<Step> steps = run(Command.COM_QUERY, s);
        // count + 3 definitions + [EOF] + 5 rows + terminator
        assertEquals((caps & CLIENT_DEPRECATE_EOF) != 0 ? 10 : 11, steps.size());
        assertEquals((caps & CLIENT_DEPRECATE_EOF) != 0 ? PacketKind.OK_AS_EOF : PacketKind.EOF, framer.packetKind());
        assertEquals(AC, framer.statusFlags());
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void packetKindsOfAResultSet(int caps) {
        ServerScript s = script(caps).columnCount(1).columns(1).columnsEnd(AC).textRow("x").terminator(AC);
        framer.begin(Command.COM_QUERY, caps);
        List<PacketKind> kinds = new ArrayList<>();
        s.feed(framer, 1, kinds);
        List<PacketKind> expected = new ArrayList<>(List.of(COLUMN_COUNT, COLUMN_DEFINITION));
        if ((caps & CLIENT_DEPRECATE_EOF) == 0) {
            expected.add(PacketKind.EOF);
        }
        expected.add(ROW);
        expected.add((caps & CLIENT_DEPRECATE_EOF) != 0 ? PacketKind.OK_AS_EOF : PacketKind.EOF);
        assertEquals(expected, kinds);
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void emptyResultSet(int caps) {
        run(Command.COM_QUERY, script(caps).resultSet(2, 0, AC));
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void errorInsteadOfARow(int caps) {
        run(Command.COM_QUERY, script(caps).columnCount(1).columns(1).columnsEnd(AC).textRow("1").err(1317));
        assertEquals(1317, framer.errorCode());
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void multiStatementResults(int caps) {
        // INSERT ...; SELECT ...; SELECT ... (empty); UPDATE ...
        ServerScript s = script(caps)
                .ok(new OkPacket(0, 1, 7, MORE_AC, 0, "", List.of()))
                .resultSet(2, 3, MORE_AC)
                .resultSet(1, 0, MORE_AC)
                .ok(AC);
        run(Command.COM_QUERY, s);
        assertEquals(4, framer.resultCount());
        assertFalse(framer.moreResults());
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void multiStatementStoppedByError(int caps) {
        run(Command.COM_QUERY, script(caps).ok(MORE_AC).resultSet(1, 1, MORE_AC).err(1146));
        assertEquals(1146, framer.errorCode());
        assertFalse(framer.moreResults());
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void localInfile(int caps) {
        ServerScript request = script(caps).localInfileRequest("/tmp/data.csv");
        framer.begin(Command.COM_QUERY, caps);
        assertEquals(List.of(LOCAL_INFILE), request.feed(framer, 1));
        assertTrue(framer.localInfileRequested());
        assertFalse(framer.isComplete());
        // Client sent seq 2 (file), 3 (file), 4 (empty); the server answers with seq 5.
        assertEquals(List.of(COMPLETE), new ServerScript(caps).ok(new OkPacket(0, 1000, 0, AC, 0, "Records: 1000", List.of()))
                .feed(framer, 5));
        assertTrue(framer.isSuccess());
    }

    @Test
    void localInfileNeedsTheCapability() {
        framer.begin(Command.COM_QUERY, LEGACY & ~CLIENT_LOCAL_FILES);
        assertThrows(ProtocolException.class,
                () -> new ServerScript(LEGACY).localInfileRequest("/etc/passwd").feed(framer, 1));
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void localInfileInAMultiStatement(int caps) {
        framer.begin(Command.COM_QUERY, caps);
        assertEquals(List.of(MORE, LOCAL_INFILE), script(caps).ok(MORE_AC).localInfileRequest("f").feed(framer, 1));
        // After the file: OK (more results), then a result set of one column and one row.
        List<Step> steps = new ServerScript(caps).ok(MORE_AC).resultSet(1, 1, AC).feed(framer, 9);
        assertEquals((caps & CLIENT_DEPRECATE_EOF) != 0 ? 5 : 6, steps.size());
        assertEquals(COMPLETE, steps.get(steps.size() - 1));
        assertEquals(1, Collections.frequency(steps, COMPLETE));
    }

    // ---------------------------------------------------------------- 0xFE rows and 16 MiB packets

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void rowStartingWith0xFeIsARow(int caps) {
        // A text row whose only value is a string of 2^24 bytes: lenenc prefix 0xFE + 8 bytes.
        long valueLength = 1L << 24;
        byte[] prefix = new byte[ResponseFramer.PEEK_LENGTH];
        prefix[0] = (byte) 0xFE;
        prefix[4] = 1; // 0x01000000 little-endian in bytes 1..8
        ServerScript s = script(caps).columnCount(1).columns(1).columnsEnd(AC)
                .claimed(prefix, 9 + valueLength)   // 16777225 bytes: frames of 0xFFFFFF and 10
                .textRow("small")
                .terminator(AC);
        framer.begin(Command.COM_QUERY, caps);
        List<Step> steps = s.feed(framer, 1);
        assertEquals(COMPLETE, steps.get(steps.size() - 1));
        assertEquals(Collections.frequency(steps, COMPLETE), 1);
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void rowOfExactlyTwoFullFramesEndsWithAnEmptyFrame(int caps) {
        byte[] prefix = new byte[ResponseFramer.PEEK_LENGTH];
        prefix[0] = (byte) 0xFE;
        long length = 2L * Packets.MAX_PAYLOAD; // frames: 0xFFFFFF, 0xFFFFFF, 0
        ServerScript s = script(caps).columnCount(1).columns(1).columnsEnd(AC).claimed(prefix, length).terminator(AC);
        framer.begin(Command.COM_QUERY, caps);
        List<Step> steps = s.feed(framer, 250); // sequence ids wrap past 255
        assertEquals(COMPLETE, steps.get(steps.size() - 1));
        // The empty frame after the two full ones is a continuation, not a terminator or row.
        int n = steps.size();
        assertEquals(MORE, steps.get(n - 2));
    }

    @Test
    void continuationFramesAreNeverInterpreted() {
        // A 0xFFFFFF row whose continuation frame starts with bytes that look like an EOF.
        framer.begin(Command.COM_QUERY, LEGACY);
        new ServerScript(LEGACY).columnCount(1).columns(1).eof(AC).feed(framer, 1);
        ByteBuf first = Unpooled.wrappedBuffer(new byte[] {(byte) 0xFC, 0, 0});
        assertEquals(MORE, framer.onPacket(Unpooled.wrappedBuffer(new byte[23]), 0, Packets.MAX_PAYLOAD, 4));
        assertEquals(ROW, framer.packetKind());
        ByteBuf fakeEof = Unpooled.wrappedBuffer(new byte[] {(byte) 0xFE, 0, 0, 2, 0});
        assertEquals(MORE, framer.onPacket(fakeEof, 0, 5, 5));
        assertEquals(CONTINUATION, framer.packetKind());
        assertEquals(COMPLETE, framer.onPacket(fakeEof, 0, 5, 6));
        assertEquals(PacketKind.EOF, framer.packetKind());
        first.release();
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void terminalPacketLongerThanAFrameCompletesOnItsLastFrame(int caps) {
        // An OK whose info makes it 0xFFFFFF + 3 bytes long.
        byte[] prefix = new byte[ResponseFramer.PEEK_LENGTH];
        prefix[3] = 2; // 00 | 00 | 00 | status 02 00 | warnings 00 00 | info...
        framer.begin(Command.COM_PING, caps);
        List<Step> steps = script(caps).claimed(prefix, Packets.MAX_PAYLOAD + 3L).feed(framer, 1);
        assertEquals(List.of(MORE, COMPLETE), steps);
        assertEquals(AC, framer.statusFlags());
    }

    @Test
    void realSixteenMebibyteRowsThroughFramesAndCumulation() {
        // Build the whole response on the wire with the splitter and scan it as the proxy would.
        int caps = MODERN;
        ByteBuf wire = Unpooled.buffer();
        int seq = 1;
        seq = frame(wire, seq, out -> ProtocolIO.writeLenencInt(out, 2));
        for (int i = 0; i < 2; i++) {
            seq = frame(wire, seq, out -> new io.baton.protocol.message.ColumnDefinition41("d", "t", "t", "c", "c", 63, 1 << 24, 0xFC, 0, 0).encode(out));
        }
        // Row 1: two values, the first 0xFFFFFF - 4 bytes long: the row is exactly 2 * 0xFFFFFF bytes.
        seq = frame(wire, seq, out -> {
            ProtocolIO.writeLenencInt(out, Packets.MAX_PAYLOAD - 4);
            out.writeZero(Packets.MAX_PAYLOAD - 4);
            ProtocolIO.writeLenencInt(out, Packets.MAX_PAYLOAD - 4);
            out.writeZero(Packets.MAX_PAYLOAD - 4);
        });
        // Row 2: first value of 2^24 bytes (lenenc 0xFE...), second NULL.
        seq = frame(wire, seq, out -> {
            ProtocolIO.writeLenencInt(out, 1 << 24);
            out.writeZero(1 << 24);
            ProtocolIO.writeNull(out);
        });
        frame(wire, seq, out -> new OkPacket(OkPacket.EOF_HEADER, 0, 0, AC, 0, "", List.of()).encode(out, caps));

        framer.begin(Command.COM_QUERY, caps);
        List<Step> steps = new ArrayList<>();
        int pos = 0;
        int frames = 0;
        while (pos < wire.writerIndex()) {
            int n = Packets.completeFrameLength(wire, pos, Packets.MAX_PAYLOAD);
            steps.add(framer.onFrame(wire, pos));
            pos += n;
            frames++;
        }
        // 1 count + 2 defs + row1 (3 frames) + row2 (2 frames) + terminator
        assertEquals(9, frames);
        assertEquals(COMPLETE, steps.get(8));
        assertEquals(8, Collections.frequency(steps, MORE));
        wire.release();
    }

    private static int frame(ByteBuf wire, int seq, java.util.function.Consumer<ByteBuf> encoder) {
        int h = Packets.reserveHeader(wire);
        encoder.accept(wire);
        return Packets.finishFrames(wire, h, seq);
    }

    // ---------------------------------------------------------------- prepared statements

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void prepare(int caps) {
        // SELECT ?, ? FROM t: 2 params, 3 columns.
        ServerScript s = script(caps).prepareOk(7, 3, 2).columns(2).columnsEnd(AC).columns(3).columnsEnd(AC);
        List<Step> steps = run(Command.COM_STMT_PREPARE, s);
        assertEquals((caps & CLIENT_DEPRECATE_EOF) != 0 ? 6 : 8, steps.size());
        assertTrue(framer.isPrepareOk());
        assertEquals(7, framer.preparedStatementId());
        assertEquals(2, framer.preparedParamCount());
        assertEquals(3, framer.preparedColumnCount());
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void prepareWithoutParamsOrColumns(int caps) {
        assertEquals(1, run(Command.COM_STMT_PREPARE, script(caps).prepareOk(1, 0, 0)).size());
        assertEquals(-1, framer.statusFlags());
        run(Command.COM_STMT_PREPARE, script(caps).prepareOk(2, 0, 1).columns(1).columnsEnd(AC));
        run(Command.COM_STMT_PREPARE, script(caps).prepareOk(3, 4, 0).columns(4).columnsEnd(AC));
        assertEquals(4, framer.preparedColumnCount());
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void prepareError(int caps) {
        run(Command.COM_STMT_PREPARE, script(caps).err(1064));
        assertFalse(framer.isPrepareOk());
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY | CLIENT_OPTIONAL_RESULTSET_METADATA, MODERN | CLIENT_OPTIONAL_RESULTSET_METADATA})
    void prepareWithoutMetadata(int caps) {
        // resultset_metadata=NONE: no definitions, but the EOFs stay (without DEPRECATE_EOF).
        ServerScript s = script(caps)
                .add(out -> new ComStmtPrepareOk(9, 2, 3, 0, 0).encode(out, caps))
                .columnsEnd(AC).columnsEnd(AC);
        run(Command.COM_STMT_PREPARE, s);
        assertEquals(9, framer.preparedStatementId());
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY | CLIENT_OPTIONAL_RESULTSET_METADATA, MODERN | CLIENT_OPTIONAL_RESULTSET_METADATA})
    void resultSetWithoutMetadata(int caps) {
        ServerScript s = script(caps).columnCountNoMetadata(3).columnsEnd(AC).textRow("a", "b", "c").terminator(AC);
        run(Command.COM_QUERY, s);
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void executeBinaryResultSet(int caps) {
        run(Command.COM_STMT_EXECUTE,
                script(caps).columnCount(2).columns(2).columnsEnd(AC).binaryRow(2).binaryRow(2).terminator(AC));
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void executeOkAndCallWithOutParams(int caps) {
        run(Command.COM_STMT_EXECUTE, script(caps).ok(AC));
        // CALL p(?) with an OUT parameter: result set, OUT-param set, final OK.
        ServerScript call = script(caps)
                .columnCount(1).columns(1).columnsEnd(MORE_AC).binaryRow(1).terminator(MORE_AC)
                .columnCount(1).columns(1).columnsEnd(MORE_AC | SERVER_PS_OUT_PARAMS).binaryRow(1)
                .terminator(MORE_AC | SERVER_PS_OUT_PARAMS)
                .ok(AC);
        run(Command.COM_STMT_EXECUTE, call);
        assertEquals(3, framer.resultCount());
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void executeWithCursorEndsAfterMetadata(int caps) {
        int cursor = AC | SERVER_STATUS_CURSOR_EXISTS;
        ServerScript s = (caps & CLIENT_DEPRECATE_EOF) != 0
                ? script(caps).columnCount(2).columns(2).terminator(cursor)   // 0xFE OK with CURSOR_EXISTS
                : script(caps).columnCount(2).columns(2).eof(cursor);         // EOF with CURSOR_EXISTS
        run(Command.COM_STMT_EXECUTE, s);
        assertTrue((framer.statusFlags() & SERVER_STATUS_CURSOR_EXISTS) != 0);

        // Then COM_STMT_FETCH: rows and a terminator saying whether the cursor is exhausted.
        run(Command.COM_STMT_FETCH, script(caps).binaryRow(2).binaryRow(2).terminator(cursor));
        run(Command.COM_STMT_FETCH, script(caps).binaryRow(2).terminator(AC | SERVER_STATUS_LAST_ROW_SENT));
        run(Command.COM_STMT_FETCH, script(caps).terminator(AC | SERVER_STATUS_LAST_ROW_SENT));
        run(Command.COM_STMT_FETCH, script(caps).err(1243));
    }

    @Test
    void binaryRowMustStartWithZero() {
        framer.begin(Command.COM_STMT_EXECUTE, MODERN);
        ServerScript s = new ServerScript(MODERN).columnCount(1).columns(1).textRow("x");
        assertThrows(ProtocolException.class, () -> s.feed(framer, 1));
    }

    @ParameterizedTest
    @ValueSource(ints = {Command.COM_STMT_CLOSE, Command.COM_STMT_SEND_LONG_DATA, Command.COM_QUIT})
    void commandsWithoutResponse(int command) {
        framer.begin(command, MODERN);
        assertFalse(framer.expectsResponse());
        assertTrue(framer.isComplete());
        assertThrows(ProtocolException.class, () -> new ServerScript(MODERN).ok(AC).feed(framer, 1));
    }

    // ---------------------------------------------------------------- utility commands

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void simpleCommands(int caps) {
        for (int command : new int[] {Command.COM_PING, Command.COM_INIT_DB, Command.COM_RESET_CONNECTION,
                Command.COM_STMT_RESET, Command.COM_PROCESS_KILL, Command.COM_REFRESH, Command.COM_CREATE_DB, 0x60}) {
            run(command, script(caps).ok(AC));
            run(command, script(caps).err(1047));
        }
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void setOptionAnswersWithEofOrOkAsEof(int caps) {
        run(Command.COM_SET_OPTION, script(caps).terminator(AC));
        run(Command.COM_SET_OPTION, script(caps).ok(AC));
        run(Command.COM_SET_OPTION, script(caps).err(1047));
    }

    @ParameterizedTest
    @ValueSource(ints = {LEGACY, MODERN})
    void fieldList(int caps) {
        run(Command.COM_FIELD_LIST, script(caps).columns(4).terminator(AC));
        run(Command.COM_FIELD_LIST, script(caps).terminator(AC));
        run(Command.COM_FIELD_LIST, script(caps).err(1146));
    }

    @Test
    void statistics() {
        run(Command.COM_STATISTICS, script(MODERN).raw("Uptime: 5  Threads: 1  Questions: 2".getBytes(java.nio.charset.StandardCharsets.US_ASCII)));
        assertEquals(PacketKind.STATISTICS, framer.packetKind());
    }

    @Test
    void processInfoIsATextResultSet() {
        run(Command.COM_PROCESS_INFO, script(LEGACY).resultSet(8, 2, AC));
    }

    // ---------------------------------------------------------------- COM_CHANGE_USER

    @Test
    void changeUserAuthExchange() {
        framer.begin(Command.COM_CHANGE_USER, MODERN);
        ServerScript sw = new ServerScript(MODERN)
                .add(AuthSwitchRequest.withScramble("caching_sha2_password", new byte[20])::encode);
        assertEquals(List.of(AUTH_CONTINUE), sw.feed(framer, 1));
        assertEquals(AUTH_SWITCH_REQUEST, framer.packetKind());
        // Client answered with seq 2; the server says fast_auth_success (seq 3), then OK (seq 4).
        assertEquals(List.of(AUTH_CONTINUE), new ServerScript(MODERN).add(new AuthMoreData(new byte[] {3})::encode).feed(framer, 3));
        assertEquals(AUTH_MORE_DATA, framer.packetKind());
        assertEquals(List.of(COMPLETE), new ServerScript(MODERN).ok(AC).feed(framer, 4));
        assertTrue(framer.isSuccess());

        run(Command.COM_CHANGE_USER, script(MODERN).ok(AC));
        run(Command.COM_CHANGE_USER, script(MODERN).err(1045));
    }

    // ---------------------------------------------------------------- session state, progress

    @Test
    void sessionStateIsFlaggedPerPacket() {
        OkPacket withState = new OkPacket(0, 0, 0, AC | SERVER_SESSION_STATE_CHANGED, 0, "",
                List.of(new SessionStateChange.Schema("shop")));
        framer.begin(Command.COM_QUERY, MODERN);
        new ServerScript(MODERN).ok(withState).feed(framer, 1);
        assertTrue(framer.lastPacketHasSessionState());
        framer.begin(Command.COM_QUERY, MODERN & ~CLIENT_SESSION_TRACK);
        new ServerScript(MODERN & ~CLIENT_SESSION_TRACK).ok(AC).feed(framer, 1);
        assertFalse(framer.lastPacketHasSessionState());
    }

    @Test
    void mariaDbProgressReportIsNotTerminal() {
        framer.begin(Command.COM_QUERY, MODERN);
        ServerScript s = new ServerScript(MODERN)
                .raw(TestBytes.hex("ff ff ff 01 01 02 00 00 00 00 00 00 00")) // progress: stage 1/1, 2/1000
                .ok(AC);
        assertEquals(List.of(MORE, COMPLETE), s.feed(framer, 1));
        assertFalse(framer.isError());
    }

    // ---------------------------------------------------------------- violations

    @Test
    void outOfOrderSequence() {
        framer.begin(Command.COM_QUERY, MODERN);
        new ServerScript(MODERN).columnCount(1).feed(framer, 1);
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> new ServerScript(MODERN).columns(1).feed(framer, 3));
        assertEquals(1156, e.error().errno());
    }

    @Test
    void packetAfterCompletion() {
        run(Command.COM_PING, script(MODERN).ok(AC));
        assertThrows(ProtocolException.class, () -> new ServerScript(MODERN).ok(AC).feed(framer, 2));
    }

    @Test
    void grammarViolations() {
        assertGarbage(Command.COM_QUERY, LEGACY, new ServerScript(LEGACY).eof(AC));           // EOF as first packet
        assertGarbage(Command.COM_QUERY, LEGACY, new ServerScript(LEGACY).columnCount(2).columns(1).eof(AC)); // too few defs
        assertGarbage(Command.COM_QUERY, LEGACY, new ServerScript(LEGACY).columnCount(1).columns(1).textRow("x")); // missing EOF
        assertGarbage(Command.COM_QUERY, LEGACY, new ServerScript(LEGACY).raw(TestBytes.hex("01 00"))); // count with junk
        assertGarbage(Command.COM_QUERY, LEGACY, new ServerScript(LEGACY).raw(new byte[0]));          // empty
        assertGarbage(Command.COM_QUERY, LEGACY, new ServerScript(LEGACY).raw(TestBytes.hex("00 00")));  // short OK
        assertGarbage(Command.COM_QUERY, LEGACY, new ServerScript(LEGACY).raw(TestBytes.hex("ff 01"))); // short ERR
        assertGarbage(Command.COM_QUERY, LEGACY, new ServerScript(LEGACY).columnCount(1).columns(1).eof(AC)
                .raw(TestBytes.hex("fe 00 00 00 00 00 00 00 00 00"))); // 0xFE of 10 bytes: neither EOF nor 16 MiB row
        assertGarbage(Command.COM_STMT_PREPARE, MODERN, new ServerScript(MODERN).ok(AC));      // OK too short for prepare
        assertGarbage(Command.COM_STMT_PREPARE, MODERN, new ServerScript(MODERN).prepareOk(1, 2, 0).columns(1).terminator(AC));
        assertGarbage(Command.COM_PING, MODERN, new ServerScript(MODERN).columnCount(1));
        assertGarbage(Command.COM_CHANGE_USER, MODERN, new ServerScript(MODERN).columnCount(5));
        ProtocolException e = assertThrows(ProtocolException.class, () -> framer.begin(Command.COM_BINLOG_DUMP, MODERN));
        assertEquals(1235, e.error().errno());
    }

    private void assertGarbage(int command, int caps, ServerScript s) {
        framer.begin(command, caps);
        ProtocolException e = assertThrows(ProtocolException.class, () -> s.feed(framer, 1));
        assertEquals(1835, e.error().errno(), e.getMessage());
    }

    @Test
    void peekBufferMustHoldThePeekBytes() {
        framer.begin(Command.COM_QUERY, MODERN);
        assertThrows(IllegalArgumentException.class,
                () -> framer.onPacket(Unpooled.wrappedBuffer(new byte[3]), 0, 100, 1));
    }

    // ---------------------------------------------------------------- no allocation on the hot path

    @Test
    void noAllocationPerPacket() {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        if (!mx.isThreadAllocatedMemorySupported()) {
            return;
        }
        ByteBuf wire = Unpooled.directBuffer();
        int[] seq = {1};
        frame(wire, seq[0]++, out -> ProtocolIO.writeLenencInt(out, 1));
        frame(wire, seq[0]++, out -> new io.baton.protocol.message.ColumnDefinition41("d", "t", "t", "c", "c", 63, 10, 3, 0, 0).encode(out));
        int rowsStart = wire.writerIndex();
        frame(wire, seq[0]++, out -> ProtocolIO.writeLenencString(out, "row"));
        int rowsEnd = wire.writerIndex();
        frame(wire, seq[0]++, out -> new OkPacket(OkPacket.EOF_HEADER, 0, 0, AC, 0, "", List.of()).encode(out, MODERN));
        int rowLen = rowsEnd - rowsStart;

        Runnable oneResponse = () -> {
            framer.begin(Command.COM_QUERY, MODERN);
            framer.onFrame(wire, 0);
            framer.onFrame(wire, Packets.HEADER_SIZE + Packets.payloadLength(wire, 0));
            int s = 3;
            for (int i = 0; i < 1000; i++) {
                framer.onPacket(wire, rowsStart + 4, rowLen - 4, s);
                s = (s + 1) & 0xFF;
            }
            framer.onPacket(wire, rowsEnd + 4, Packets.payloadLength(wire, rowsEnd), s);
        };
        for (int i = 0; i < 200; i++) {
            oneResponse.run(); // warm up the JIT
        }
        long before = mx.getThreadAllocatedBytes(Thread.currentThread().getId());
        for (int i = 0; i < 200; i++) {
            oneResponse.run();
        }
        long allocated = mx.getThreadAllocatedBytes(Thread.currentThread().getId()) - before;
        // 200 responses of 1003 packets: allow a little noise, far below one byte per packet.
        assertTrue(allocated < 20_000, "allocated " + allocated + " bytes for 200,600 packets");
        assertTrue(framer.isComplete());
        wire.release();
    }
}
