package io.baton.protocol;

import static io.baton.protocol.TestBytes.buf;
import static io.baton.protocol.TestBytes.encode;
import static io.baton.protocol.TestBytes.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.netty.buffer.ByteBuf;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class ProtocolIOTest {

    @ParameterizedTest
    @CsvSource({
        "0, 00",
        "250, fa",
        "251, fc fb 00",
        "65535, fc ff ff",
        "65536, fd 00 00 01",
        "16777215, fd ff ff ff",
        "16777216, fe 00 00 00 01 00 00 00 00",
        "-1, fe ff ff ff ff ff ff ff ff",
    })
    void lenencIntBoundaries(long value, String wire) {
        assertArrayEquals(hex(wire), encode(out -> ProtocolIO.writeLenencInt(out, value)));
        assertEquals(hex(wire).length, ProtocolIO.lenencIntSize(value));
        ByteBuf in = buf(wire);
        assertEquals(value, ProtocolIO.readLenencInt(in));
        assertFalse(in.isReadable());
        assertEquals(value, ProtocolIO.getLenencInt(buf(wire), 0));
        assertEquals(hex(wire).length, ProtocolIO.lenencIntSizeOf(hex(wire)[0] & 0xFF));
    }

    @Test
    void lenencNullAndUndefined() {
        assertEquals(ProtocolIO.NULL, ProtocolIO.readLenencIntOrNull(buf("fb")));
        assertThrows(ProtocolException.class, () -> ProtocolIO.readLenencInt(buf("fb")));
        assertThrows(ProtocolException.class, () -> ProtocolIO.readLenencInt(buf("ff")));
        assertEquals(-1, ProtocolIO.lenencIntSizeOf(0xFB));
        assertEquals(-1, ProtocolIO.lenencIntSizeOf(0xFF));
    }

    @Test
    void truncationIsAProtocolException() {
        assertThrows(ProtocolException.class, () -> ProtocolIO.readLenencInt(buf("fc 01")));
        assertThrows(ProtocolException.class, () -> ProtocolIO.readLenencInt(buf("fe 01 02 03")));
        assertThrows(ProtocolException.class, () -> ProtocolIO.readInt4(buf("01 02 03")));
        assertThrows(ProtocolException.class, () -> ProtocolIO.readInt1(buf("")));
        assertThrows(ProtocolException.class, () -> ProtocolIO.readNulString(buf("61 62 63")));
        assertThrows(ProtocolException.class, () -> ProtocolIO.readBytes(buf("61"), 2));
        assertThrows(ProtocolException.class, () -> ProtocolIO.readBytes(buf("61"), -1));
    }

    @Test
    void hostileLengthIsRejectedBeforeAllocation() {
        // A lenenc string claiming 2^62 bytes with 3 bytes present: must fail without allocating.
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> ProtocolIO.readLenencBytes(buf("fe 00 00 00 00 00 00 00 40 61 62 63")));
        assertEquals(MySqlError.ER_MALFORMED_PACKET.errno(), e.error().errno());
        // Unsigned 2^64-1: negative as a long, still rejected.
        assertThrows(ProtocolException.class,
                () -> ProtocolIO.readLenencString(buf("fe ff ff ff ff ff ff ff ff 61")));
    }

    @Test
    void strings() {
        ByteBuf in = buf("03 61 62 63 | 64 65 00 | 66 67");
        assertEquals("abc", ProtocolIO.readLenencString(in));
        assertEquals("de", ProtocolIO.readNulString(in));
        assertEquals("fg", ProtocolIO.readRestString(in, java.nio.charset.StandardCharsets.UTF_8));
        assertFalse(in.isReadable());
        assertArrayEquals(hex("03 61 62 63 64 65 00"), encode(out -> {
            ProtocolIO.writeLenencString(out, "abc");
            ProtocolIO.writeNulString(out, "de");
        }));
        assertThrows(IllegalArgumentException.class,
                () -> encode(out -> ProtocolIO.writeNulBytes(out, new byte[] {1, 0, 2})));
    }

    @Test
    void fixedIntegersAreLittleEndian() {
        ByteBuf in = buf("01 | 02 01 | 03 02 01 | ff ff ff ff | 08 07 06 05 04 03 02 01");
        assertEquals(1, ProtocolIO.readInt1(in));
        assertEquals(0x0102, ProtocolIO.readInt2(in));
        assertEquals(0x010203, ProtocolIO.readInt3(in));
        assertEquals(0xFFFFFFFFL, ProtocolIO.readInt4(in));
        assertEquals(0x0102030405060708L, ProtocolIO.readInt8(in));
    }
}
