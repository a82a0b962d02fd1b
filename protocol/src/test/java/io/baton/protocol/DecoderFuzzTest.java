package io.baton.protocol;

import static io.baton.protocol.Capabilities.CLIENT_CONNECT_ATTRS;
import static io.baton.protocol.Capabilities.CLIENT_CONNECT_WITH_DB;
import static io.baton.protocol.Capabilities.CLIENT_DEPRECATE_EOF;
import static io.baton.protocol.Capabilities.CLIENT_OPTIONAL_RESULTSET_METADATA;
import static io.baton.protocol.Capabilities.CLIENT_PLUGIN_AUTH;
import static io.baton.protocol.Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static io.baton.protocol.Capabilities.CLIENT_QUERY_ATTRIBUTES;
import static io.baton.protocol.Capabilities.CLIENT_SECURE_CONNECTION;
import static io.baton.protocol.Capabilities.CLIENT_SESSION_TRACK;
import static io.baton.protocol.Capabilities.CLIENT_SSL;
import static io.baton.protocol.Capabilities.CLIENT_TRANSACTIONS;
import static io.baton.protocol.Capabilities.CLIENT_ZSTD_COMPRESSION_ALGORITHM;

import io.baton.protocol.message.AuthMoreData;
import io.baton.protocol.message.AuthSwitchRequest;
import io.baton.protocol.message.ColumnCount;
import io.baton.protocol.message.ColumnDefinition41;
import io.baton.protocol.message.ComChangeUser;
import io.baton.protocol.message.ComQuery;
import io.baton.protocol.message.ComQuery.QueryAttribute;
import io.baton.protocol.message.ComStmtExecute;
import io.baton.protocol.message.ComStmtPrepareOk;
import io.baton.protocol.message.CommandPacket;
import io.baton.protocol.message.EofPacket;
import io.baton.protocol.message.ErrPacket;
import io.baton.protocol.message.HandshakeResponse41;
import io.baton.protocol.message.HandshakeV10;
import io.baton.protocol.message.OkPacket;
import io.baton.protocol.message.SessionStateChange;
import io.baton.protocol.message.SslRequest;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.Size;

/**
  * Every decoder, fed arbitrary bytes and mutated valid packets, either decodes or throws
  * {@link ProtocolException} — never IndexOutOfBounds, NegativeArraySize, OutOfMemory or anything
  * else — and whatever it decodes can be encoded again.
  */
class DecoderFuzzTest {

    static final int P41 = CLIENT_PROTOCOL_41 | CLIENT_TRANSACTIONS | CLIENT_SECURE_CONNECTION;
    static final int TRACK = P41 | CLIENT_SESSION_TRACK | CLIENT_DEPRECATE_EOF;
    static final int ALL_AUTH = P41 | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS | CLIENT_CONNECT_WITH_DB
            | CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | CLIENT_ZSTD_COMPRESSION_ALGORITHM;

    /** A decoder under test, with valid samples to mutate. */
    record Target(String name, Function<ByteBuf, Object> decode, BiConsumer<Object, ByteBuf> encode, List<byte[]> samples) {
        @Override
        public String toString() {
            return name;
        }
    }

    static final List<Target> TARGETS = new ArrayList<>();

    private static <T> void target(String name, Function<ByteBuf, T> decode, BiConsumer<T, ByteBuf> encode,
            List<Consumer<ByteBuf>> samples) {
        List<byte[]> bytes = new ArrayList<>();
        for (Consumer<ByteBuf> s : samples) {
            bytes.add(TestBytes.encode(s));
        }
        @SuppressWarnings("unchecked")
        BiConsumer<Object, ByteBuf> enc = (o, out) -> encode.accept((T) o, out);
        TARGETS.add(new Target(name, decode::apply, enc, bytes));
    }

    static {
        OkPacket okState = new OkPacket(0, 300, 70000, ServerStatus.SERVER_SESSION_STATE_CHANGED | 3, 1, "info",
                List.of(new SessionStateChange.SystemVariable("autocommit", "OFF"), new SessionStateChange.Schema("db"),
                        new SessionStateChange.StateChange(true), new SessionStateChange.Gtids(0, "uuid:1-9"),
                        new SessionStateChange.TransactionCharacteristics(""), new SessionStateChange.TransactionState("T_R_____")));
        OkPacket okInfo = new OkPacket(0xFE, 1, 2, 2, 0, "Rows matched: 1  Changed: 1  Warnings: 0", List.of());
        for (int caps : new int[] {0, CLIENT_TRANSACTIONS, P41, TRACK}) {
            target("OkPacket/" + caps, b -> OkPacket.decode(b, caps), (o, out) -> o.encode(out, caps),
                    List.of(out -> okState.encode(out, caps), out -> okInfo.encode(out, caps), out -> OkPacket.of(2).encode(out, caps)));
        }
        target("OkPacket.stripSessionState", b -> {
            ByteBuf out = Unpooled.buffer();
            OkPacket.stripSessionState(b, TRACK, out);
            return OkPacket.decode(out, P41);
        }, (o, out) -> o.encode(out, P41), List.of(out -> okState.encode(out, TRACK)));
        target("SessionStateChange.decodeAll", SessionStateChange::decodeAll, (o, out) -> { },
                List.of(out -> out.writeBytes(TestBytes.hex("00 0f 0a 61 75 74 6f 63 6f 6d 6d 69 74 03 4f 46 46 01 05 04 74 65 73 74"))));

        ErrPacket err = new ErrPacket(1045, "28000", "Access denied for user 'x'@'y' (using password: YES)");
        target("ErrPacket/41", b -> ErrPacket.decode(b, P41), (o, out) -> o.encode(out, P41),
                List.of(out -> err.encode(out, P41)));
        target("ErrPacket/auto", ErrPacket::decode, (o, out) -> o.encode(out, 0), List.of(out -> err.encode(out, 0)));
        target("EofPacket", b -> EofPacket.decode(b, P41), (o, out) -> o.encode(out, P41),
                List.of(out -> new EofPacket(3, 0x22).encode(out, P41)));
        for (int caps : new int[] {P41, P41 | CLIENT_OPTIONAL_RESULTSET_METADATA}) {
            target("ColumnCount/" + caps, b -> ColumnCount.decode(b, caps), (o, out) -> o.encode(out, caps),
                    List.of(out -> new ColumnCount(3, 1).encode(out, caps), out -> new ColumnCount(70000, 1).encode(out, caps)));
            target("ComStmtPrepareOk/" + caps, b -> ComStmtPrepareOk.decode(b, caps), (o, out) -> o.encode(out, caps),
                    List.of(out -> new ComStmtPrepareOk(5, 2, 3, 0, 1).encode(out, caps)));
        }
        target("ColumnDefinition41", ColumnDefinition41::decode, ColumnDefinition41::encode, List.of(
                new ColumnDefinition41("shop", "o", "orders", "id", "id", 63, 11, 3, 0x4203, 0)::encode,
                new ColumnDefinition41("def", "s", "t", "t", "c", "c", 33, 30, 253, 0, 0, true, new byte[] {'x'})::encode));

        byte[] scramble = "0123456789abcdefghij".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        target("HandshakeV10", HandshakeV10::decode, HandshakeV10::encode, List.of(
                new HandshakeV10("8.0.31-baton", 7, scramble, 0xFFFFF7FF, 255, 2, "caching_sha2_password", 0)::encode,
                new HandshakeV10("5.5.5-10.6-MariaDB", 7, scramble, 0xF7FE | CLIENT_PLUGIN_AUTH, 45, 2, "mysql_native_password", 9)::encode,
                out -> out.writeBytes(TestBytes.hex("0a 35 2e 35 2e 32 2d 6d 32 00 0b 00 00 00 64 76 48 40 49 2d 43 4a 00 ff f7 08 02 00 00 00 00"
                        + " 00 00 00 00 00 00 00 00 00 00 2a 34 64 7c 63 5a 77 6b 34 5e 5d 3a 00"))));
        target("SslRequest", SslRequest::decode, SslRequest::encode,
                List.of(new SslRequest(P41 | CLIENT_SSL, 1 << 24, 45, 0)::encode));
        Map<String, String> attrs = new LinkedHashMap<>();
        attrs.put("_client_name", "libmysql");
        attrs.put("_os", "Linux");
        target("HandshakeResponse41", HandshakeResponse41::decode, HandshakeResponse41::encode, List.of(
                new HandshakeResponse41(ALL_AUTH, 1 << 24, 255, 0, "app", new byte[32], "shop", "caching_sha2_password", attrs, 3)::encode,
                new HandshakeResponse41(P41 | CLIENT_CONNECT_WITH_DB, 0, 8, 0, "pam", new byte[20], "test", null, null, 0)::encode,
                new HandshakeResponse41(CLIENT_PROTOCOL_41, 0, 8, 0, "u", new byte[] {1, 2}, null, null, null, 0)::encode));
        target("AuthSwitchRequest", AuthSwitchRequest::decode, AuthSwitchRequest::encode, List.of(
                AuthSwitchRequest.withScramble("mysql_native_password", scramble)::encode));
        target("AuthMoreData", AuthMoreData::decode, AuthMoreData::encode, List.of(new AuthMoreData(new byte[] {3})::encode));
        for (int caps : new int[] {P41, ALL_AUTH, 0}) {
            target("ComChangeUser/" + caps, b -> ComChangeUser.decode(b, caps), (o, out) -> o.encode(out, caps), List.of(
                    out -> new ComChangeUser("bob", caps == 0 ? new byte[] {1} : new byte[20], "db", 45, "mysql_native_password",
                            Map.of("k", "v")).encode(out, caps)));
        }
        target("ComStmtExecute", ComStmtExecute::decode, ComStmtExecute::encode, List.of(
                new ComStmtExecute(1, 1, 1, TestBytes.hex("00 01 08 00 2a 00 00 00 00 00 00 00"))::encode));
        int qa = P41 | CLIENT_QUERY_ATTRIBUTES;
        ComQuery withAttrs = new ComQuery("SELECT * FROM t WHERE id = 1", List.of(
                new QueryAttribute("a", 254, false, TestBytes.hex("02 78 79")), new QueryAttribute("b", 8, true, null),
                new QueryAttribute("c", 12, false, TestBytes.hex("07 e8 07 01 02 03 04 05")), new QueryAttribute("d", 1, false, new byte[1])));
        for (int caps : new int[] {P41, qa}) {
            target("ComQuery/" + caps, b -> ComQuery.decode(b, caps), (o, out) -> o.encode(out, caps),
                    List.of(out -> (caps == qa ? withAttrs : new ComQuery("SELECT 1")).encode(out, caps)));
        }
        target("CommandPacket", b -> {
            CommandPacket c = CommandPacket.decode(b.duplicate());
            if (Command.carriesStatementId(c.command())) {
                CommandPacket.statementId(b);
                CommandPacket.rewriteStatementId(b, 42);
            }
            return c;
        }, CommandPacket::encode, List.of(out -> out.writeBytes(TestBytes.hex("19 01 00 00 00")),
                out -> out.writeBytes(TestBytes.hex("17 01 00 00 00 00 01 00 00 00"))));
        target("Packets.readLogicalPayload", b -> {
            ByteBuf p = Packets.readLogicalPayload(b, 40, ByteBufAllocator.DEFAULT);
            if (p != null) {
                p.release();
            }
            Packets.completeFrameLength(b, b.readerIndex(), 40);
            return null;
        }, (o, out) -> { }, List.of(out -> out.writeBytes(TestBytes.hex("03 00 00 00 01 02 03 00 00 00 05"))));
    }

    @Provide
    Arbitrary<Target> targets() {
        return Arbitraries.of(TARGETS);
    }

    /** One mutation: kind, position, value. */
    record Mutation(int kind, int position, byte value) {}

    record Case(Target target, byte[] bytes) {
        @Override
        public String toString() {
            return target.name + " " + TestBytes.hexOf(Unpooled.wrappedBuffer(bytes));
        }
    }

    private static final byte[] INTERESTING = {0, 1, (byte) 0xFB, (byte) 0xFC, (byte) 0xFD, (byte) 0xFE, (byte) 0xFF, 0x7F, (byte) 0x80, '#'};

    @Provide
    Arbitrary<Case> mutated() {
        Arbitrary<Mutation> mutation = Combinators.combine(
                Arbitraries.integers().between(0, 5), Arbitraries.integers().between(0, 10_000), Arbitraries.bytes())
                .as(Mutation::new);
        return Combinators.combine(Arbitraries.of(TARGETS), Arbitraries.integers().between(0, 10),
                        mutation.list().ofMinSize(1).ofMaxSize(4))
                .as((t, sample, mutations) -> new Case(t, mutate(t.samples.get(sample % t.samples.size()), mutations)));
    }

    static byte[] mutate(byte[] in, List<Mutation> mutations) {
        byte[] b = in.clone();
        for (Mutation m : mutations) {
            int n = b.length;
            int pos = n == 0 ? 0 : m.position % n;
            switch (m.kind) {
                case 0 -> { // flip bits
                    if (n > 0) {
                        b[pos] ^= m.value == 0 ? 1 : m.value;
                    }
                }
                case 1 -> { // interesting byte
                    if (n > 0) {
                        b[pos] = INTERESTING[Math.floorMod(m.value, INTERESTING.length)];
                    }
                }
                case 2 -> b = Arrays.copyOf(b, pos); // truncate
                case 3 -> { // insert a byte
                    byte[] c = new byte[n + 1];
                    System.arraycopy(b, 0, c, 0, pos);
                    c[pos] = m.value;
                    System.arraycopy(b, pos, c, pos + 1, n - pos);
                    b = c;
                }
                case 4 -> { // delete a byte
                    if (n > 0) {
                        byte[] c = new byte[n - 1];
                        System.arraycopy(b, 0, c, 0, pos);
                        System.arraycopy(b, pos + 1, c, pos, n - pos - 1);
                        b = c;
                    }
                }
                default -> { // huge length-encoded integer
                    if (n > 0) {
                        b[pos] = (byte) 0xFE;
                        if (pos + 8 < n) {
                            for (int i = 1; i <= 8; i++) {
                                b[pos + i] = (byte) (i == 8 ? 0x7F : 0xFF);
                            }
                        }
                    }
                }
            }
        }
        return b;
    }

    @Property(tries = 4000)
    void arbitraryBytes(@ForAll("targets") Target target, @ForAll @Size(max = 72) byte[] bytes) {
        check(target, bytes);
    }

    @Property(tries = 6000)
    void mutatedValidPackets(@ForAll("mutated") Case c) {
        check(c.target, c.bytes);
    }

    @Property(tries = 200)
    void samplesDecode(@ForAll("targets") Target target) {
        for (byte[] s : target.samples) {
            Object decoded = target.decode.apply(Unpooled.wrappedBuffer(s));
            if (decoded != null) {
                target.encode.accept(decoded, Unpooled.buffer());
            }
        }
    }

    static void check(Target target, byte[] bytes) {
        Object decoded;
        try {
            decoded = target.decode.apply(Unpooled.wrappedBuffer(bytes));
        } catch (ProtocolException expected) {
            return;
        }
        if (decoded != null) {
            ByteBuf out = Unpooled.buffer();
            target.encode.accept(decoded, out);
            out.release();
        }
    }
}
