package io.baton.protocol;

import static io.baton.protocol.Capabilities.CLIENT_DEPRECATE_EOF;
import static io.baton.protocol.Capabilities.CLIENT_LOCAL_FILES;
import static io.baton.protocol.Capabilities.CLIENT_OPTIONAL_RESULTSET_METADATA;
import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static io.baton.protocol.Capabilities.CLIENT_SESSION_TRACK;
import static io.baton.protocol.Capabilities.CLIENT_TRANSACTIONS;
import static io.baton.protocol.ServerStatus.SERVER_MORE_RESULTS_EXISTS;
import static io.baton.protocol.ServerStatus.SERVER_STATUS_AUTOCOMMIT;
import static io.baton.protocol.ServerStatus.SERVER_STATUS_CURSOR_EXISTS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.ResponseFramer.Step;
import io.baton.protocol.message.AuthMoreData;
import io.baton.protocol.message.AuthSwitchRequest;
import io.baton.protocol.message.ComStmtPrepareOk;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
  * Generated responses: every valid one completes exactly at its last frame; random and mutated
  * packet streams only ever produce {@link ProtocolException}.
  */
class ResponseFramerPropertiesTest {

    static final int BASE = CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_LOCAL_FILES;

    /** One result of a multi-result response. */
    record Result(int kind, int columns, int rows, boolean bigFirstRow, boolean errAtEnd) {}

    @Provide
    Arbitrary<List<Result>> results() {
        Arbitrary<Result> r = Combinators.combine(
                Arbitraries.integers().between(0, 2), Arbitraries.integers().between(1, 4),
                Arbitraries.integers().between(0, 4), Arbitraries.of(true, false).injectDuplicates(0.1),
                Arbitraries.of(false, false, false, true))
                .as(Result::new);
        return r.list().ofMinSize(1).ofMaxSize(5);
    }

    @Provide
    Arbitrary<Integer> caps() {
        return Arbitraries.of(0, CLIENT_DEPRECATE_EOF, CLIENT_OPTIONAL_RESULTSET_METADATA, CLIENT_SESSION_TRACK,
                        CLIENT_DEPRECATE_EOF | CLIENT_OPTIONAL_RESULTSET_METADATA | CLIENT_SESSION_TRACK)
                .map(extra -> BASE | extra);
    }

    @Property(tries = 1500)
    void validTextResponsesCompleteAtTheLastFrame(@ForAll("results") List<Result> results, @ForAll("caps") int caps,
            @ForAll @IntRange(max = 255) int firstSeq) {
        ServerScript s = new ServerScript(caps);
        boolean infile = false;
        for (int i = 0; i < results.size(); i++) {
            Result r = results.get(i);
            boolean last = i == results.size() - 1;
            int status = SERVER_STATUS_AUTOCOMMIT | (last ? 0 : SERVER_MORE_RESULTS_EXISTS);
            if (r.errAtEnd && last) {
                if (r.kind == 0) {
                    s.err(1064);
                } else {
                    s.columnCount(r.columns).columns(r.columns).columnsEnd(0);
                    textRows(s, r);
                    s.err(1317);
                }
                break;
            }
            switch (r.kind) {
                case 0 -> s.ok(status);
                case 1 -> {
                    s.columnCount(r.columns).columns(r.columns).columnsEnd(0);
                    textRows(s, r);
                    s.terminator(status);
                }
                default -> {
                    if (i == 0) {
                        // LOCAL INFILE: request and answer are fed separately below.
                        infile = true;
                        s.localInfileRequest("f.csv").ok(status);
                    } else {
                        s.ok(status);
                    }
                }
            }
        }
        ResponseFramer f = new ResponseFramer();
        f.begin(Command.COM_QUERY, caps);
        List<Step> steps = s.feed(f, firstSeq);
        assertEquals(Step.COMPLETE, steps.get(steps.size() - 1));
        assertEquals(1, Collections.frequency(steps, Step.COMPLETE));
        assertEquals(infile ? 1 : 0, Collections.frequency(steps, Step.LOCAL_INFILE));
        assertTrue(f.isComplete());
        assertFalse(f.moreResults());
    }

    private static void textRows(ServerScript s, Result r) {
        for (int row = 0; row < r.rows; row++) {
            if (row == 0 && r.bigFirstRow) {
                byte[] prefix = new byte[ResponseFramer.PEEK_LENGTH];
                prefix[0] = (byte) 0xFE; // first value: 2^24 bytes
                prefix[4] = 1;
                s.claimed(prefix, 9 + (1L << 24) + r.columns - 1);
            } else {
                String[] v = new String[r.columns];
                for (int c = 0; c < r.columns; c++) {
                    v[c] = row % 2 == 0 ? "v" + c : null;
                }
                s.textRow(v);
            }
        }
    }

    @Property(tries = 800)
    void validPrepareAndExecuteResponses(@ForAll @IntRange(max = 5) int params, @ForAll @IntRange(max = 5) int columns,
            @ForAll @IntRange(max = 4) int rows, @ForAll boolean cursor, @ForAll("caps") int caps) {
        boolean deprecate = (caps & CLIENT_DEPRECATE_EOF) != 0;
        ServerScript prepare = new ServerScript(caps)
                .add(out -> new ComStmtPrepareOk(3, columns, params, 0, 1).encode(out, caps));
        if (params > 0) {
            prepare.columns(params).columnsEnd(0);
        }
        if (columns > 0) {
            prepare.columns(columns).columnsEnd(0);
        }
        ResponseFramer f = new ResponseFramer();
        f.begin(Command.COM_STMT_PREPARE, caps);
        List<Step> steps = prepare.feed(f, 1);
        assertEquals(Step.COMPLETE, steps.get(steps.size() - 1));
        assertEquals(1, Collections.frequency(steps, Step.COMPLETE));
        assertEquals(params, f.preparedParamCount());
        assertEquals(columns, f.preparedColumnCount());

        ServerScript execute = new ServerScript(caps);
        if (columns == 0) {
            execute.ok(SERVER_STATUS_AUTOCOMMIT);
        } else if (cursor) {
            execute.columnCount(columns).columns(columns);
            if (deprecate) {
                execute.terminator(SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_CURSOR_EXISTS);
            } else {
                execute.eof(SERVER_STATUS_AUTOCOMMIT | SERVER_STATUS_CURSOR_EXISTS);
            }
        } else {
            execute.columnCount(columns).columns(columns).columnsEnd(SERVER_STATUS_AUTOCOMMIT);
            for (int r = 0; r < rows; r++) {
                execute.binaryRow(columns);
            }
            execute.terminator(SERVER_STATUS_AUTOCOMMIT);
        }
        f.begin(Command.COM_STMT_EXECUTE, caps);
        steps = execute.feed(f, 1);
        assertEquals(Step.COMPLETE, steps.get(steps.size() - 1));
        assertEquals(1, Collections.frequency(steps, Step.COMPLETE));
    }

    // ---------------------------------------------------------------- hostile streams

    private static final int[] COMMANDS = {
        Command.COM_QUERY, Command.COM_STMT_EXECUTE, Command.COM_STMT_PREPARE, Command.COM_STMT_FETCH,
        Command.COM_FIELD_LIST, Command.COM_STATISTICS, Command.COM_CHANGE_USER, Command.COM_PING,
        Command.COM_SET_OPTION, Command.COM_PROCESS_INFO, Command.COM_STMT_CLOSE, 0x42,
    };

    /** A packet: a template or random bytes, maybe claimed as 0xFFFFFF long, with a sequence id skew. */
    record Packet(byte[] bytes, boolean full, int seqSkew) {}

    @Provide
    Arbitrary<List<Packet>> packets() {
        Arbitrary<byte[]> template = Arbitraries.of(templates());
        Arbitrary<byte[]> random = Arbitraries.bytes().array(byte[].class).ofMaxSize(30);
        Arbitrary<byte[]> mutatedTemplate = Combinators.combine(template, Arbitraries.integers().between(0, 40), Arbitraries.bytes())
                .as((t, pos, v) -> {
                    byte[] c = t.clone();
                    if (c.length > 0) {
                        c[pos % c.length] = v;
                    }
                    return c;
                });
        Arbitrary<byte[]> bytes = Arbitraries.frequencyOf(
                net.jqwik.api.Tuple.of(6, template), net.jqwik.api.Tuple.of(2, random), net.jqwik.api.Tuple.of(2, mutatedTemplate));
        Arbitrary<Packet> p = Combinators.combine(bytes, Arbitraries.of(false, false, false, false, false, false, false, true),
                        Arbitraries.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2))
                .as(Packet::new);
        return p.list().ofMaxSize(14);
    }

    static List<byte[]> templates() {
        int caps = BASE | CLIENT_SESSION_TRACK;
        List<byte[]> t = new ArrayList<>();
        for (int c : new int[] {caps, caps | CLIENT_DEPRECATE_EOF}) {
            ServerScript s = new ServerScript(c).ok(SERVER_STATUS_AUTOCOMMIT).ok(SERVER_MORE_RESULTS_EXISTS).err(1064)
                    .terminator(SERVER_STATUS_AUTOCOMMIT).terminator(SERVER_STATUS_CURSOR_EXISTS).eof(SERVER_MORE_RESULTS_EXISTS)
                    .columnCount(1).columnCount(3).columns(1).textRow("a", null).binaryRow(2).prepareOk(1, 1, 1)
                    .prepareOk(2, 0, 0).localInfileRequest("x")
                    .add(AuthSwitchRequest.withScramble("mysql_native_password", new byte[20])::encode)
                    .add(new AuthMoreData(new byte[] {3})::encode);
            t.addAll(s.payloads());
        }
        t.add(new byte[0]);
        t.add(new byte[] {(byte) 0xFE});
        t.add(TestBytes.hex("ff ff ff 01 01 02 00 00 00"));
        return t;
    }

    @Property(tries = 5000)
    void hostileStreamsOnlyThrowProtocolException(@ForAll("packets") List<Packet> packets,
            @ForAll("caps") int caps, @ForAll @IntRange(max = 11) int commandIndex, @ForAll @IntRange(max = 255) int firstSeq) {
        ResponseFramer f = new ResponseFramer();
        try {
            f.begin(COMMANDS[commandIndex], caps);
            int seq = firstSeq;
            for (Packet p : packets) {
                seq = (seq + p.seqSkew) & 0xFF;
                int len = p.full ? Packets.MAX_PAYLOAD : p.bytes.length;
                // Exactly the packet's bytes (a read past its length would fail the test), padded only for
                // a packet claimed to be 0xFFFFFF long.
                byte[] held = p.full && p.bytes.length < ResponseFramer.PEEK_LENGTH
                        ? java.util.Arrays.copyOf(p.bytes, ResponseFramer.PEEK_LENGTH) : p.bytes;
                ByteBuf buf = Unpooled.wrappedBuffer(held);
                Step step = f.onPacket(buf, 0, len, seq);
                seq = (seq + 1) & 0xFF;
                if (f.isComplete()) {
                    assertEquals(Step.COMPLETE, step);
                    assertThrows(ProtocolException.class, () -> f.onPacket(Unpooled.wrappedBuffer(new byte[1]), 0, 1, 0));
                    return;
                }
            }
        } catch (ProtocolException expected) {
            // The only acceptable failure.
        }
    }
}
