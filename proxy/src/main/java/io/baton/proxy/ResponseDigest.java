package io.baton.proxy;

import io.baton.protocol.ResponseFramer.PacketKind;
import io.netty.buffer.ByteBuf;
import net.jpountz.xxhash.XXHash64;
import net.jpountz.xxhash.XXHashFactory;

/**
 * A 64-bit xxHash of what a client saw of one response, to tell whether the same statement gives the same answer on
 * another server (transaction replay, docs/replay.md). Rows, column definitions and prepared-statement metadata are
 * hashed whole; an OK counts by its affected rows and last insert id (its status flags, warnings count, info text and
 * session-state changes are the server's own and may differ); an ERR by its error number; EOF packets not at all.
 */
final class ResponseDigest {
    private static final XXHash64 XXH = XXHashFactory.fastestJavaInstance().hash64();
    static final long SEED = 0x62617430_6e526570L;

    private long value = SEED;
    private boolean rows;

    /** A new response; {@code withRows}: rows and metadata are hashed too, not only its OK or ERR. */
    void begin(boolean withRows) {
        value = SEED;
        rows = withRows;
    }

    boolean withRows() {
        return rows;
    }

    long value() {
        return value;
    }

    /** One whole server packet of the response: payload at {@code payload}, {@code len} bytes long. */
    void packet(PacketKind kind, ByteBuf buf, int payload, int len) {
        switch (kind) {
            case OK -> {
                // OK: 0x00, affected_rows<lenenc>, last_insert_id<lenenc>, status<2>, warnings<2>, ...
                int at = payload + 1;
                long affected = lenenc(buf, at, payload + len);
                at += lenencSize(buf, at);
                long insertId = at < payload + len ? lenenc(buf, at, payload + len) : 0;
                value = mix(mix(value, 0x4F4B), affected) ^ Long.rotateLeft(insertId * 0x9E3779B97F4A7C15L, 17);
            }
            case ERR -> value = mix(mix(value, 0x455252), len >= 3 ? buf.getUnsignedShortLE(payload + 1) : -1);
            case EOF, OK_AS_EOF, PROGRESS, NONE -> {
                // the status flags and warnings count are the server's own; where a result set ends is in the rows' hash
                if (kind == PacketKind.OK_AS_EOF || kind == PacketKind.EOF) {
                    value = mix(value, 0x454F46);
                }
            }
            default -> {
                if (rows) {
                    value = buf.hasArray()
                            ? XXH.hash(buf.array(), buf.arrayOffset() + payload, len, value)
                            : XXH.hash(buf.nioBuffer(payload, len), 0, len, value);
                } else {
                    value = mix(value, len);
                }
            }
        }
    }

    private static long mix(long h, long v) {
        long x = (h ^ v) * 0xff51afd7ed558ccdL;
        return x ^ (x >>> 33);
    }

    /** A length-encoded integer at {@code at} (0 when it does not fit before {@code end}). */
    static long lenenc(ByteBuf b, int at, int end) {
        if (at >= end) {
            return 0;
        }
        int first = b.getUnsignedByte(at);
        int size = lenencSize(b, at);
        if (at + size > end) {
            return 0;
        }
        return switch (first) {
            case 0xFC -> b.getUnsignedShortLE(at + 1);
            case 0xFD -> b.getUnsignedMediumLE(at + 1);
            case 0xFE -> b.getLongLE(at + 1);
            default -> first;
        };
    }

    static int lenencSize(ByteBuf b, int at) {
        return switch (b.getUnsignedByte(at)) {
            case 0xFC -> 3;
            case 0xFD -> 4;
            case 0xFE -> 9;
            default -> 1;
        };
    }
}
