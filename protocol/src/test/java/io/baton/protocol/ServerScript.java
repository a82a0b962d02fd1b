package io.baton.protocol;

import static io.baton.protocol.Capabilities.CLIENT_DEPRECATE_EOF;
import static io.baton.protocol.Capabilities.CLIENT_OPTIONAL_RESULTSET_METADATA;

import io.baton.protocol.ResponseFramer.Step;
import io.baton.protocol.message.ColumnCount;
import io.baton.protocol.message.ColumnDefinition41;
import io.baton.protocol.message.ComStmtPrepareOk;
import io.baton.protocol.message.EofPacket;
import io.baton.protocol.message.ErrPacket;
import io.baton.protocol.message.OkPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
  * Builds a server response as a list of logical payloads with the real encoders, and feeds it to
  * a {@link ResponseFramer} frame by frame (16 MiB rule applied), recording the step per frame.
  */
final class ServerScript {

    private final int caps;
    private final List<byte[]> payloads = new ArrayList<>();
    /** Logical payloads given only by length: a frame header claims it, the buffer holds a prefix. */
    private final List<long[]> claimed = new ArrayList<>();

    ServerScript(int caps) {
        this.caps = caps;
    }

    int caps() {
        return caps;
    }

    boolean deprecateEof() {
        return (caps & CLIENT_DEPRECATE_EOF) != 0;
    }

    ServerScript add(Consumer<ByteBuf> encoder) {
        ByteBuf b = Unpooled.buffer();
        encoder.accept(b);
        byte[] bytes = new byte[b.readableBytes()];
        b.readBytes(bytes);
        b.release();
        payloads.add(bytes);
        claimed.add(null);
        return this;
    }

    ServerScript raw(byte[] payload) {
        payloads.add(payload);
        claimed.add(null);
        return this;
    }

    /**
      * A logical packet of {@code length} bytes starting with {@code prefix}; only the prefix is held
      * in memory (the framer never reads past PEEK_LENGTH).
      */
    ServerScript claimed(byte[] prefix, long length) {
        payloads.add(prefix);
        claimed.add(new long[] {length});
        return this;
    }

    ServerScript ok(int status) {
        return add(out -> OkPacket.of(status).encode(out, caps));
    }

    ServerScript ok(OkPacket ok) {
        return add(out -> ok.encode(out, caps));
    }

    ServerScript err(int errno) {
        return add(out -> new ErrPacket(errno, "HY000", "boom").encode(out, caps));
    }

    ServerScript eof(int status) {
        return add(out -> new EofPacket(0, status).encode(out, caps));
    }

    /** The packet that ends rows: EOF, or the 0xFE OK under DEPRECATE_EOF. */
    ServerScript terminator(int status) {
        if (deprecateEof()) {
            return add(out -> new OkPacket(OkPacket.EOF_HEADER, 0, 0, status, 0, "", List.of()).encode(out, caps));
        }
        return eof(status);
    }

    ServerScript columnCount(long n) {
        return add(out -> new ColumnCount(n, ColumnCount.METADATA_FULL).encode(out, caps));
    }

    ServerScript columnCountNoMetadata(long n) {
        if ((caps & CLIENT_OPTIONAL_RESULTSET_METADATA) == 0) {
            throw new IllegalStateException("needs CLIENT_OPTIONAL_RESULTSET_METADATA");
        }
        return add(out -> new ColumnCount(n, ColumnCount.METADATA_NONE).encode(out, caps));
    }

    ServerScript columns(int n) {
        for (int i = 0; i < n; i++) {
            int k = i;
            add(out -> new ColumnDefinition41("db", "t", "t", "c" + k, "c" + k, 255, 80, 0xFD, 0, 0).encode(out));
        }
        return this;
    }

    /** EOF after column definitions, only without DEPRECATE_EOF. */
    ServerScript columnsEnd(int status) {
        return deprecateEof() ? this : eof(status);
    }

    ServerScript textRow(String... values) {
        return add(out -> {
            for (String v : values) {
                if (v == null) {
                    ProtocolIO.writeNull(out);
                } else {
                    ProtocolIO.writeLenencString(out, v);
                }
            }
        });
    }

    /** A binary row: header 0x00, NULL bitmap for n columns, then n LONGLONG values. */
    ServerScript binaryRow(int columns) {
        return add(out -> {
            out.writeByte(0);
            out.writeZero((columns + 7 + 2) / 8);
            for (int i = 0; i < columns; i++) {
                out.writeLongLE(i);
            }
        });
    }

    ServerScript prepareOk(int id, int columns, int params) {
        return add(out -> new ComStmtPrepareOk(id, columns, params, 0, ColumnCount.METADATA_FULL).encode(out, caps));
    }

    ServerScript localInfileRequest(String file) {
        byte[] name = file.getBytes(StandardCharsets.UTF_8);
        byte[] p = new byte[name.length + 1];
        p[0] = (byte) 0xFB;
        System.arraycopy(name, 0, p, 1, name.length);
        return raw(p);
    }

    /** A complete text result set with {@code columns} columns and {@code rows} rows. */
    ServerScript resultSet(int columns, int rows, int finalStatus) {
        columnCount(columns).columns(columns).columnsEnd(0);
        for (int r = 0; r < rows; r++) {
            String[] v = new String[columns];
            for (int c = 0; c < columns; c++) {
                v[c] = r + ":" + c;
            }
            textRow(v);
        }
        return terminator(finalStatus);
    }

    /** The logical payloads (copies). */
    List<byte[]> payloads() {
        List<byte[]> out = new ArrayList<>();
        for (byte[] p : payloads) {
            out.add(p.clone());
        }
        return out;
    }

    int packetCount() {
        return payloads.size();
    }

    /** Feeds every frame of every payload, sequence ids from {@code firstSeq}; returns the steps. */
    List<Step> feed(ResponseFramer framer, int firstSeq) {
        return feed(framer, firstSeq, new ArrayList<>());
    }

    /** As {@link #feed(ResponseFramer, int)}, recording the packet kind after each frame. */
    List<Step> feed(ResponseFramer framer, int firstSeq, List<ResponseFramer.PacketKind> kinds) {
        List<Step> steps = new ArrayList<>();
        int seq = firstSeq;
        for (int i = 0; i < payloads.size(); i++) {
            byte[] p = payloads.get(i);
            long total = claimed.get(i) == null ? p.length : claimed.get(i)[0];
            long offset = 0;
            while (true) {
                int len = (int) Math.min(total - offset, Packets.MAX_PAYLOAD);
                // The frame's first bytes, as many as we hold (only a prefix for claimed packets).
                int have = (int) Math.max(0, Math.min(len, p.length - offset));
                ByteBuf frame = have > 0 ? Unpooled.wrappedBuffer(p, (int) offset, have) : Unpooled.buffer(0);
                if (have < Math.min(len, ResponseFramer.PEEK_LENGTH)) {
                    // Pad a continuation of a claimed packet with zeros: the framer must not look at it anyway.
                    frame = Unpooled.wrappedBuffer(frame, Unpooled.wrappedBuffer(new byte[Math.min(len, ResponseFramer.PEEK_LENGTH) - have]));
                }
                steps.add(framer.onPacket(frame, frame.readerIndex(), len, seq));
                kinds.add(framer.packetKind());
                seq = (seq + 1) & 0xFF;
                offset += len;
                if (len < Packets.MAX_PAYLOAD) {
                    break;
                }
            }
        }
        return steps;
    }
}
