package io.baton.perf.jmh;

import io.baton.protocol.Capabilities;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolIO;
import io.baton.protocol.ServerStatus;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;

/**
 * Server responses as they arrive on a backend socket, built byte by byte (not with the message
 * classes, so a benchmark measures the reader and not the writer). Layouts:
 * https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset.html
 * and page_protocol_binary_resultset.html.
 */
public final class WireFixtures {

    /** What a MySQL 8.0 backend connection negotiates with Baton. */
    public static final int CAPABILITIES = Capabilities.CLIENT_PROTOCOL_41 | Capabilities.CLIENT_TRANSACTIONS
            | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_PLUGIN_AUTH
            | Capabilities.CLIENT_SESSION_TRACK | Capabilities.CLIENT_DEPRECATE_EOF;

    private static final int TYPE_LONG = 0x03;
    private static final int TYPE_STRING = 0xFE;

    private WireFixtures() {
    }

    /**
     * The response to {@code SELECT id, k, c, pad FROM sbtest1 LIMIT 100} (COM_QUERY, text rows,
     * DEPRECATE_EOF): column count, 4 definitions, 100 rows, the 0xFE OK. One frame per packet.
     */
    public static ByteBuf textResultSet(int rows) {
        ByteBuf out = Unpooled.directBuffer();
        int seq = 1;
        seq = frame(out, seq, p -> ProtocolIO.writeLenencInt(p, 4));
        seq = frame(out, seq, p -> columnDefinition(p, "id", TYPE_LONG, 11));
        seq = frame(out, seq, p -> columnDefinition(p, "k", TYPE_LONG, 11));
        seq = frame(out, seq, p -> columnDefinition(p, "c", TYPE_STRING, 480));
        seq = frame(out, seq, p -> columnDefinition(p, "pad", TYPE_STRING, 240));
        for (int r = 1; r <= rows; r++) {
            int id = r;
            seq = frame(out, seq, p -> {
                ProtocolIO.writeLenencString(p, Integer.toString(id));
                ProtocolIO.writeLenencString(p, Integer.toString(id * 7919 % 10_000));
                ProtocolIO.writeLenencString(p, sysbenchText(id, 11));
                ProtocolIO.writeLenencString(p, sysbenchText(id * 31, 5));
            });
        }
        frame(out, seq, p -> okAsEof(p, ServerStatus.SERVER_STATUS_AUTOCOMMIT));
        return out;
    }

    /**
     * The response to the prepared {@code SELECT c FROM sbtest1 WHERE id=?} (COM_STMT_EXECUTE, binary
     * row, DEPRECATE_EOF): column count 1, one definition, one row, the 0xFE OK.
     */
    public static ByteBuf pointSelectResponse() {
        ByteBuf out = Unpooled.directBuffer();
        int seq = 1;
        seq = frame(out, seq, p -> ProtocolIO.writeLenencInt(p, 1));
        seq = frame(out, seq, p -> columnDefinition(p, "c", TYPE_STRING, 480));
        seq = frame(out, seq, p -> {
            p.writeByte(0x00); // binary row header
            p.writeByte(0x00); // NULL bitmap: (1 + 7 + 2) / 8 = 1 byte, nothing NULL
            ProtocolIO.writeLenencString(p, sysbenchText(42, 11));
        });
        frame(out, seq, p -> okAsEof(p, ServerStatus.SERVER_STATUS_AUTOCOMMIT));
        return out;
    }

    /** OK payload after an autocommit UPDATE of one row: header, affected 1, last id 0, status, warnings. */
    public static ByteBuf okPayload() {
        ByteBuf p = Unpooled.directBuffer();
        p.writeByte(0x00);
        ProtocolIO.writeLenencInt(p, 1);
        ProtocolIO.writeLenencInt(p, 0);
        p.writeShortLE(ServerStatus.SERVER_STATUS_AUTOCOMMIT);
        p.writeShortLE(0);
        return p;
    }

    /**
     * OK payload with session state: {@code SET autocommit=1} under session tracking — status with
     * SERVER_SESSION_STATE_CHANGED, empty info, one SYSTEM_VARIABLES entry (autocommit = ON).
     */
    public static ByteBuf okWithSessionStatePayload() {
        ByteBuf p = Unpooled.directBuffer();
        p.writeByte(0x00);
        ProtocolIO.writeLenencInt(p, 0);
        ProtocolIO.writeLenencInt(p, 0);
        p.writeShortLE(ServerStatus.SERVER_STATUS_AUTOCOMMIT | ServerStatus.SERVER_SESSION_STATE_CHANGED);
        p.writeShortLE(0);
        ProtocolIO.writeLenencString(p, ""); // info
        ByteBuf entry = Unpooled.buffer();
        ProtocolIO.writeLenencString(entry, "autocommit");
        ProtocolIO.writeLenencString(entry, "ON");
        ByteBuf state = Unpooled.buffer();
        state.writeByte(0x00); // SESSION_TRACK_SYSTEM_VARIABLES
        ProtocolIO.writeLenencBytes(state, entry);
        ProtocolIO.writeLenencBytes(p, state);
        entry.release();
        state.release();
        return p;
    }

    /** Sysbench's c/pad text: groups of 11 digits joined by '-'. */
    static String sysbenchText(int seed, int groups) {
        StringBuilder sb = new StringBuilder(groups * 12);
        long x = seed * 2654435761L;
        for (int g = 0; g < groups; g++) {
            if (g > 0) {
                sb.append('-');
            }
            for (int i = 0; i < 11; i++) {
                x = x * 6364136223846793005L + 1442695040888963407L;
                sb.append((char) ('0' + (int) ((x >>> 33) % 10)));
            }
        }
        return sb.toString();
    }

    private interface PayloadWriter {
        void write(ByteBuf payload);
    }

    private static int frame(ByteBuf out, int seq, PayloadWriter w) {
        int header = Packets.reserveHeader(out);
        w.write(out);
        return Packets.finishFrames(out, header, seq);
    }

    // ColumnDefinition41: catalog, schema, table, org_table, name, org_name <lenenc>, 0x0c,
    // character set <2>, column length <4>, type <1>, flags <2>, decimals <1>, filler <2>.
    private static void columnDefinition(ByteBuf p, String name, int type, int length) {
        ProtocolIO.writeLenencString(p, "def");
        ProtocolIO.writeLenencString(p, "sbtest");
        ProtocolIO.writeLenencString(p, "sbtest1");
        ProtocolIO.writeLenencString(p, "sbtest1");
        ProtocolIO.writeLenencString(p, name);
        ProtocolIO.writeLenencString(p, name);
        ProtocolIO.writeLenencInt(p, 0x0c);
        p.writeShortLE(type == TYPE_LONG ? 63 : 255);
        p.writeIntLE(length);
        p.writeByte(type);
        p.writeShortLE(type == TYPE_LONG ? 0x1003 : 0x0001);
        p.writeByte(0);
        p.writeShortLE(0);
    }

    // OK with header 0xFE closing a result set under DEPRECATE_EOF.
    private static void okAsEof(ByteBuf p, int status) {
        p.writeByte(0xFE);
        ProtocolIO.writeLenencInt(p, 0);
        ProtocolIO.writeLenencInt(p, 0);
        p.writeShortLE(status);
        p.writeShortLE(0);
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
