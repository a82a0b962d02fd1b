package io.baton.protocol;

import static io.baton.protocol.TestBytes.buf;
import static io.baton.protocol.TestBytes.bytes;
import static io.baton.protocol.TestBytes.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PacketsTest {

    private static final int MAX = Packets.MAX_PAYLOAD;

    @Test
    void headerIsLengthThreeBytesLittleEndianThenSequence() {
        ByteBuf out = Unpooled.buffer();
        Packets.writeHeader(out, 0x030201, 7);
        assertArrayEquals(hex("01 02 03 07"), bytes(out));
        assertEquals(0x030201, Packets.payloadLength(out, 0));
        assertEquals(7, Packets.sequenceId(out, 0));
    }

    @Test
    void readFrameReturnsNullUntilComplete() {
        // COM_QUERY "SELECT 1" split across three reads.
        ByteBuf cum = Unpooled.buffer();
        cum.writeBytes(hex("09 00"));
        assertNull(Packets.readFrame(cum, 1024));
        cum.writeBytes(hex("00 00 03 53 45 4c"));
        assertNull(Packets.readFrame(cum, 1024));
        assertEquals(0, cum.readerIndex());
        cum.writeBytes(hex("45 43 54 20 31 | 01 00"));
        ByteBuf frame = Packets.readFrame(cum, 1024);
        assertArrayEquals(hex("09 00 00 00 03 53 45 4c 45 43 54 20 31"), bytes(frame));
        assertEquals(2, cum.refCnt()); // a retained slice, not a copy
        frame.release();
        assertEquals(13, cum.readerIndex());
        assertNull(Packets.readPayload(cum, 1024));
        cum.release();
    }

    @Test
    void readPayloadSlicesWithoutHeader() {
        ByteBuf cum = buf("01 00 00 00 0e | 00 00 00 05");
        ByteBuf p = Packets.readPayload(cum, 16);
        assertArrayEquals(hex("0e"), bytes(p));
        p.release();
        ByteBuf empty = Packets.readPayload(cum, 16);
        assertEquals(0, empty.readableBytes());
        empty.release();
    }

    @Test
    void tooLargeIsRejectedFromTheHeaderAlone() {
        // Header claims 0x100000 bytes; only the header is present. Throws before allocating.
        ByteBuf cum = buf("00 00 10 00");
        ProtocolException e = assertThrows(ProtocolException.class, () -> Packets.readFrame(cum, 1024));
        assertEquals(1153, e.error().errno());
        assertEquals("08S01", e.error().sqlState());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 100, MAX - 1, MAX, MAX + 1, 2 * MAX, 2 * MAX + 5})
    void splitThenJoinRoundTrips(int length) {
        byte[] payload = new byte[length];
        for (int i = 0; i < length; i += 4099) {
            payload[i] = (byte) (i * 31 + 7);
        }
        if (length > 0) {
            payload[length - 1] = 42;
        }
        ByteBuf wire = Unpooled.buffer(length + 16);
        int next = Packets.writeFrames(wire, Unpooled.wrappedBuffer(payload), 254);
        int frames = length / MAX + 1;
        assertEquals(frames, Packets.frameCount(length));
        assertEquals((254 + frames) & 0xFF, next);
        assertEquals(length + 4L * frames, wire.readableBytes());

        // Frame structure: full frames, then a short (possibly empty) one; sequence ids wrap at 256.
        int pos = 0;
        for (int f = 0; f < frames; f++) {
            int len = Packets.payloadLength(wire, pos);
            assertEquals(f < frames - 1 ? MAX : length % MAX, len);
            assertEquals((254 + f) & 0xFF, Packets.sequenceId(wire, pos));
            pos += 4 + len;
        }

        // Stateless joiner over the cumulation.
        ByteBuf joined = Packets.readLogicalPayload(wire.duplicate(), Long.MAX_VALUE, ByteBufAllocator.DEFAULT);
        assertArrayEquals(payload, bytes(joined));
        joined.release();

        // Stateful joiner, frame by frame.
        PayloadJoiner joiner = new PayloadJoiner(ByteBufAllocator.DEFAULT, Long.MAX_VALUE);
        ByteBuf result = null;
        ByteBuf in = wire.duplicate();
        for (int f = 0; f < frames; f++) {
            int seq = Packets.sequenceId(in, in.readerIndex());
            ByteBuf p = Packets.readPayload(in, MAX);
            result = joiner.add(p, seq);
            assertEquals(f == frames - 1, result != null);
        }
        assertArrayEquals(payload, bytes(result));
        result.release();
        wire.release();
    }

    @Test
    void logicalPacketLengthWaitsForTheClosingFrame() {
        ByteBuf wire = Unpooled.buffer();
        Packets.writeFrames(wire, Unpooled.wrappedBuffer(new byte[MAX]), 0);
        // wire = full frame + empty frame; drop the empty frame: incomplete.
        ByteBuf partial = wire.slice(0, 4 + MAX);
        assertEquals(-1, Packets.completeLogicalPacketLength(partial, 0, Long.MAX_VALUE));
        assertEquals(8L + MAX, Packets.completeLogicalPacketLength(wire, 0, Long.MAX_VALUE));
        assertThrows(ProtocolException.class, () -> Packets.completeLogicalPacketLength(wire, 0, MAX - 1));
        // A header alone proves the excess: no need for the bytes to arrive.
        assertThrows(ProtocolException.class,
                () -> Packets.completeLogicalPacketLength(buf("ff ff ff 00"), 0, 1000));
        wire.release();
    }

    @Test
    void continuationOutOfOrderIsRejected() {
        ByteBuf wire = Unpooled.buffer();
        Packets.writeFrames(wire, Unpooled.wrappedBuffer(new byte[MAX + 3]), 0);
        wire.setByte(4 + MAX + 3, 5); // second frame's sequence id: 1 -> 5
        ProtocolException e = assertThrows(ProtocolException.class,
                () -> Packets.readLogicalPayload(wire, Long.MAX_VALUE, ByteBufAllocator.DEFAULT));
        assertEquals(1156, e.error().errno());
        wire.release();
    }

    @Test
    void joinerEnforcesTheLimitAndSequence() {
        PayloadJoiner joiner = new PayloadJoiner(ByteBufAllocator.DEFAULT, MAX + 10L);
        assertNull(joiner.add(Unpooled.wrappedBuffer(new byte[MAX]), 3));
        assertTrue(joiner.inProgress());
        ByteBuf tooMuch = Unpooled.wrappedBuffer(new byte[11]);
        assertThrows(ProtocolException.class, () -> joiner.add(tooMuch, 4));
        assertEquals(0, tooMuch.refCnt());

        assertNull(joiner.add(Unpooled.wrappedBuffer(new byte[MAX]), 9));
        ByteBuf wrongSeq = Unpooled.wrappedBuffer(new byte[1]);
        ProtocolException e = assertThrows(ProtocolException.class, () -> joiner.add(wrongSeq, 11));
        assertEquals(1156, e.error().errno());

        PayloadJoiner small = new PayloadJoiner(ByteBufAllocator.DEFAULT, 4);
        assertThrows(ProtocolException.class, () -> small.add(Unpooled.wrappedBuffer(new byte[5]), 0));
        ByteBuf ok = Unpooled.wrappedBuffer(new byte[4]);
        assertEquals(ok, small.add(ok, 0)); // single frame passes through untouched
    }

    @Test
    void reserveAndFinishFrames() {
        ByteBuf out = Unpooled.buffer();
        int h = Packets.reserveHeader(out);
        out.writeBytes(hex("0e"));
        assertEquals(1, Packets.finishFrames(out, h, 0));
        assertArrayEquals(hex("01 00 00 00 0e"), bytes(out));

        ByteBuf big = Unpooled.buffer();
        big.writeByte(0xAA); // something before the frame stays
        int h2 = Packets.reserveHeader(big);
        byte[] payload = new byte[MAX + 2];
        payload[MAX + 1] = 9;
        big.writeBytes(payload);
        assertEquals(7, Packets.finishFrames(big, h2, 5));
        assertEquals(0xAA, big.getUnsignedByte(0));
        List<Integer> lens = new ArrayList<>();
        int pos = 1;
        while (pos < big.writerIndex()) {
            lens.add(Packets.payloadLength(big, pos));
            pos += 4 + Packets.payloadLength(big, pos);
        }
        assertEquals(List.of(MAX, 2), lens);
        assertEquals(9, big.getByte(big.writerIndex() - 1));
        out.release();
        big.release();
    }
}
