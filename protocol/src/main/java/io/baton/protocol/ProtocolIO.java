package io.baton.protocol;

import io.netty.buffer.ByteBuf;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;

/**
  * The basic data types of the protocol, read from and written to a {@link ByteBuf}.
  *
  * <p>Layouts: https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_dt_integers.html
  * and https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_dt_strings.html.
  * Integers are little-endian. A length-encoded integer ({@code int<lenenc>}) is one byte below
  * 0xFB, or 0xFC + 2 bytes, 0xFD + 3 bytes, 0xFE + 8 bytes; 0xFB is SQL NULL in a text row and 0xFF
  * is undefined.
  *
  * <p>Readers consume from the reader index and check the readable bytes first: truncated input
  * throws {@link ProtocolException}, never {@code IndexOutOfBoundsException}. A length read from the
  * wire is checked against the bytes present before anything is allocated with it, so a hostile
  * length cannot make a reader allocate more than the packet holds.
  */
public final class ProtocolIO {

    /** Returned by {@link #readLenencIntOrNull} for the NULL marker 0xFB. */
    public static final long NULL = -1L;

    private ProtocolIO() {}

    // ---------------------------------------------------------------- reading

    /** Throws unless {@code n} bytes are readable. */
    public static void require(ByteBuf in, int n) {
        if (n < 0 || in.readableBytes() < n) {
            throw ProtocolException.malformed(
                    "truncated: need " + n + " bytes, " + in.readableBytes() + " left");
        }
    }

    /** {@code int<1>}. */
    public static int readInt1(ByteBuf in) {
        require(in, 1);
        return in.readUnsignedByte();
    }

    /** {@code int<2>}. */
    public static int readInt2(ByteBuf in) {
        require(in, 2);
        return in.readUnsignedShortLE();
    }

    /** {@code int<3>}. */
    public static int readInt3(ByteBuf in) {
        require(in, 3);
        return in.readUnsignedMediumLE();
    }

    /** {@code int<4>} as an unsigned value. */
    public static long readInt4(ByteBuf in) {
        require(in, 4);
        return in.readUnsignedIntLE();
    }

    /** {@code int<4>} as the 32 bits of an int (for ids and flag words compared bitwise). */
    public static int readInt4AsInt(ByteBuf in) {
        require(in, 4);
        return in.readIntLE();
    }

    /** {@code int<8>}; values above {@code Long.MAX_VALUE} come back negative (unsigned bits). */
    public static long readInt8(ByteBuf in) {
        require(in, 8);
        return in.readLongLE();
    }

    /**
      * {@code int<lenenc>}. The NULL marker 0xFB and the undefined 0xFF are malformed here. Values
      * above {@code Long.MAX_VALUE} come back negative (unsigned bits).
      */
    public static long readLenencInt(ByteBuf in) {
        return readLenenc(in, false);
    }

    /** {@code int<lenenc>}, or {@link #NULL} for the 0xFB marker. */
    public static long readLenencIntOrNull(ByteBuf in) {
        return readLenenc(in, true);
    }

    private static long readLenenc(ByteBuf in, boolean nullAllowed) {
        int first = readInt1(in);
        switch (first) {
            case 0xFB:
                if (nullAllowed) {
                    return NULL;
                }
                throw ProtocolException.malformed("NULL (0xFB) where a length-encoded integer is required");
            case 0xFC:
                return readInt2(in);
            case 0xFD:
                return readInt3(in);
            case 0xFE:
                return readInt8(in);
            case 0xFF:
                throw ProtocolException.malformed("0xFF is not a length-encoded integer");
            default:
                return first;
        }
    }

    /**
      * A length-encoded integer used as the length of what follows: it must not exceed the bytes
      * left, so it always fits an int.
      */
    public static int readLenencLength(ByteBuf in) {
        long len = readLenencInt(in);
        if (len < 0 || len > in.readableBytes()) {
            throw ProtocolException.malformed(
                    "length " + Long.toUnsignedString(len) + " exceeds the " + in.readableBytes() + " bytes left");
        }
        return (int) len;
    }

    /** {@code n} bytes, copied. */
    public static byte[] readBytes(ByteBuf in, int n) {
        require(in, n);
        byte[] b = new byte[n];
        in.readBytes(b);
        return b;
    }

    /** {@code string<fix>} of {@code n} bytes, decoded. */
    public static String readFixedString(ByteBuf in, int n, Charset cs) {
        require(in, n);
        String s = in.toString(in.readerIndex(), n, cs);
        in.skipBytes(n);
        return s;
    }

    /** Skips {@code n} bytes. */
    public static void skip(ByteBuf in, int n) {
        require(in, n);
        in.skipBytes(n);
    }

    /** {@code string<lenenc>} as bytes. */
    public static byte[] readLenencBytes(ByteBuf in) {
        return readBytes(in, readLenencLength(in));
    }

    /** {@code string<lenenc>}, decoded. */
    public static String readLenencString(ByteBuf in, Charset cs) {
        int len = readLenencLength(in);
        String s = in.toString(in.readerIndex(), len, cs);
        in.skipBytes(len);
        return s;
    }

    /** {@code string<lenenc>} in UTF-8. */
    public static String readLenencString(ByteBuf in) {
        return readLenencString(in, StandardCharsets.UTF_8);
    }

    /** {@code string<lenenc>} as a slice of {@code in} (no copy, not retained). */
    public static ByteBuf readLenencSlice(ByteBuf in) {
        return in.readSlice(readLenencLength(in));
    }

    /** Index of the first NUL at or after the reader index, or -1. */
    public static int indexOfNul(ByteBuf in) {
        return in.indexOf(in.readerIndex(), in.writerIndex(), (byte) 0);
    }

    /** {@code string<NUL>} as bytes; the terminating NUL is consumed, not returned. */
    public static byte[] readNulBytes(ByteBuf in) {
        int nul = indexOfNul(in);
        if (nul < 0) {
            throw ProtocolException.malformed("NUL-terminated string without NUL");
        }
        byte[] b = readBytes(in, nul - in.readerIndex());
        in.skipBytes(1);
        return b;
    }

    /** {@code string<NUL>}, decoded. */
    public static String readNulString(ByteBuf in, Charset cs) {
        int nul = indexOfNul(in);
        if (nul < 0) {
            throw ProtocolException.malformed("NUL-terminated string without NUL");
        }
        int len = nul - in.readerIndex();
        String s = in.toString(in.readerIndex(), len, cs);
        in.skipBytes(len + 1);
        return s;
    }

    /** {@code string<NUL>} in UTF-8. */
    public static String readNulString(ByteBuf in) {
        return readNulString(in, StandardCharsets.UTF_8);
    }

    /** {@code string<EOF>} as bytes: everything left. */
    public static byte[] readRestBytes(ByteBuf in) {
        return readBytes(in, in.readableBytes());
    }

    /** {@code string<EOF>}, decoded. */
    public static String readRestString(ByteBuf in, Charset cs) {
        String s = in.toString(in.readerIndex(), in.readableBytes(), cs);
        in.skipBytes(in.readableBytes());
        return s;
    }

    // ---------------------------------------------------------------- peeking (absolute, no reads)

    /**
      * Size in bytes (1, 3, 4 or 9) of the length-encoded integer whose first byte is {@code first},
      * or -1 for 0xFB and 0xFF, which are not integers.
      */
    public static int lenencIntSizeOf(int first) {
        if (first < 0xFB) {
            return 1;
        }
        switch (first) {
            case 0xFC:
                return 3;
            case 0xFD:
                return 4;
            case 0xFE:
                return 9;
            default:
                return -1;
        }
    }

    /**
      * The length-encoded integer at {@code index}; the caller has checked with
      * {@link #lenencIntSizeOf} that it is an integer and that its bytes are present.
      */
    public static long getLenencInt(ByteBuf buf, int index) {
        int first = buf.getUnsignedByte(index);
        switch (first) {
            case 0xFC:
                return buf.getUnsignedShortLE(index + 1);
            case 0xFD:
                return buf.getUnsignedMediumLE(index + 1);
            case 0xFE:
                return buf.getLongLE(index + 1);
            default:
                return first;
        }
    }

    // ---------------------------------------------------------------- writing

    public static void writeInt1(ByteBuf out, int v) {
        out.writeByte(v);
    }

    public static void writeInt2(ByteBuf out, int v) {
        out.writeShortLE(v);
    }

    public static void writeInt3(ByteBuf out, int v) {
        out.writeMediumLE(v);
    }

    public static void writeInt4(ByteBuf out, long v) {
        out.writeIntLE((int) v);
    }

    public static void writeInt8(ByteBuf out, long v) {
        out.writeLongLE(v);
    }

    /** Bytes needed for {@code v} as a length-encoded integer (unsigned interpretation). */
    public static int lenencIntSize(long v) {
        if (v >= 0 && v < 0xFB) {
            return 1;
        } else if (v >= 0 && v < 1L << 16) {
            return 3;
        } else if (v >= 0 && v < 1L << 24) {
            return 4;
        }
        return 9;
    }

    /** {@code int<lenenc>}, shortest form; {@code v} is read as unsigned. */
    public static void writeLenencInt(ByteBuf out, long v) {
        if (v >= 0 && v < 0xFB) {
            out.writeByte((int) v);
        } else if (v >= 0 && v < 1L << 16) {
            out.writeByte(0xFC);
            out.writeShortLE((int) v);
        } else if (v >= 0 && v < 1L << 24) {
            out.writeByte(0xFD);
            out.writeMediumLE((int) v);
        } else {
            out.writeByte(0xFE);
            out.writeLongLE(v);
        }
    }

    /** The NULL marker 0xFB of a text row. */
    public static void writeNull(ByteBuf out) {
        out.writeByte(0xFB);
    }

    public static void writeLenencBytes(ByteBuf out, byte[] b) {
        writeLenencInt(out, b.length);
        out.writeBytes(b);
    }

    /** The readable bytes of {@code b} (not consumed) as a {@code string<lenenc>}. */
    public static void writeLenencBytes(ByteBuf out, ByteBuf b) {
        writeLenencInt(out, b.readableBytes());
        out.writeBytes(b, b.readerIndex(), b.readableBytes());
    }

    public static void writeLenencString(ByteBuf out, String s, Charset cs) {
        writeLenencBytes(out, s.getBytes(cs));
    }

    public static void writeLenencString(ByteBuf out, String s) {
        writeLenencString(out, s, StandardCharsets.UTF_8);
    }

    /** {@code string<NUL>}; the bytes must not contain NUL. */
    public static void writeNulBytes(ByteBuf out, byte[] b) {
        for (byte x : b) {
            if (x == 0) {
                throw new IllegalArgumentException("NUL-terminated string contains NUL");
            }
        }
        out.writeBytes(b);
        out.writeByte(0);
    }

    public static void writeNulString(ByteBuf out, String s, Charset cs) {
        writeNulBytes(out, s.getBytes(cs));
    }

    public static void writeNulString(ByteBuf out, String s) {
        writeNulString(out, s, StandardCharsets.UTF_8);
    }

    /** {@code string<EOF>}. */
    public static void writeRestString(ByteBuf out, String s, Charset cs) {
        out.writeBytes(s.getBytes(cs));
    }
}
