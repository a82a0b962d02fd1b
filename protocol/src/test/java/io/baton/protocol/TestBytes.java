package io.baton.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import java.util.HexFormat;
import java.util.function.Consumer;

/** Hex and buffer helpers for tests. */
public final class TestBytes {

    private TestBytes() {}

    /** Bytes from hex; spaces, newlines and '|' separators are ignored. */
    public static byte[] hex(String hex) {
        return HexFormat.of().parseHex(hex.replaceAll("[\\s|]", ""));
    }

    /** A heap buffer holding the hex bytes. */
    public static ByteBuf buf(String hex) {
        return Unpooled.wrappedBuffer(hex(hex));
    }

    /** The readable bytes of a buffer (not consumed). */
    public static byte[] bytes(ByteBuf b) {
        return ByteBufUtil.getBytes(b);
    }

    /** Lower-case hex of the readable bytes. */
    public static String hexOf(ByteBuf b) {
        return ByteBufUtil.hexDump(b);
    }

    /** Runs an encoder into a fresh buffer and returns the bytes. */
    public static byte[] encode(Consumer<ByteBuf> encoder) {
        ByteBuf out = Unpooled.buffer();
        try {
            encoder.accept(out);
            return bytes(out);
        } finally {
            out.release();
        }
    }
}
