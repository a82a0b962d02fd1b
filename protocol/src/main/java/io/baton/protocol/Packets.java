package io.baton.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
  * Packet framing: a 4-byte header, payload length {@code int<3>} and sequence id {@code int<1>},
  * then the payload.
  *
  * <p>https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html. A payload
  * of {@link #MAX_PAYLOAD} (0xFFFFFF) bytes means "continued in the next frame"; a logical payload
  * of exactly k * 0xFFFFFF bytes ends with an empty frame. Every frame, continuation or not, takes
  * the next sequence id (mod 256); the sequence restarts at 0 with each command.
  *
  * <p>The readers work on a cumulation buffer (as in a Netty {@code ByteToMessageDecoder}): they
  * return null while a frame is incomplete and a retained slice (no copy) once it is complete.
  * The length in a header is checked against the caller's limit before anything is allocated.
  */
public final class Packets {

    /** Header bytes before every payload. */
    public static final int HEADER_SIZE = 4;
    /** The largest payload of one frame; a frame this long is continued by the next. */
    public static final int MAX_PAYLOAD = 0xFFFFFF;

    private Packets() {}

    // ---------------------------------------------------------------- header

    /** Payload length of the frame whose header starts at {@code index}. */
    public static int payloadLength(ByteBuf buf, int index) {
        return buf.getUnsignedMediumLE(index);
    }

    /** Sequence id of the frame whose header starts at {@code index}. */
    public static int sequenceId(ByteBuf buf, int index) {
        return buf.getUnsignedByte(index + 3);
    }

    /** Writes a header. */
    public static void writeHeader(ByteBuf out, int payloadLength, int sequenceId) {
        if (payloadLength < 0 || payloadLength > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload length out of range: " + payloadLength);
        }
        out.writeMediumLE(payloadLength);
        out.writeByte(sequenceId);
    }

    /** Overwrites the header at {@code index}. */
    public static void setHeader(ByteBuf out, int index, int payloadLength, int sequenceId) {
        if (payloadLength < 0 || payloadLength > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload length out of range: " + payloadLength);
        }
        out.setMediumLE(index, payloadLength);
        out.setByte(index + 3, sequenceId);
    }

    // ---------------------------------------------------------------- reading frames

    /**
      * Length in bytes (header included) of the frame at {@code index} if all of it is in
      * {@code buf}, else -1. Allocation-free; for scanning a cumulation frame by frame.
      *
      * @throws ProtocolException if the header announces more than {@code maxPayload} bytes
      */
    public static int completeFrameLength(ByteBuf buf, int index, int maxPayload) {
        int available = buf.writerIndex() - index;
        if (available < HEADER_SIZE) {
            return -1;
        }
        int len = buf.getUnsignedMediumLE(index);
        if (len > maxPayload) {
            throw ProtocolException.tooLarge(len, maxPayload);
        }
        return available - HEADER_SIZE < len ? -1 : HEADER_SIZE + len;
    }

    /**
      * Reads one whole frame, header included, as a retained slice (the caller releases it), or
      * returns null and consumes nothing if the frame is incomplete. Forwarding this slice forwards
      * the frame verbatim.
      */
    public static ByteBuf readFrame(ByteBuf in, int maxPayload) {
        int n = completeFrameLength(in, in.readerIndex(), maxPayload);
        return n < 0 ? null : in.readRetainedSlice(n);
    }

    /**
      * Reads one frame's payload as a retained slice (the caller releases it), or returns null and
      * consumes nothing if the frame is incomplete. Read {@link #sequenceId} at the reader index
      * first if it matters.
      */
    public static ByteBuf readPayload(ByteBuf in, int maxPayload) {
        int n = completeFrameLength(in, in.readerIndex(), maxPayload);
        if (n < 0) {
            return null;
        }
        in.skipBytes(HEADER_SIZE);
        return in.readRetainedSlice(n - HEADER_SIZE);
    }

    /**
      * Wire length (headers included) of the complete logical packet at {@code index}: one frame, or
      * a run of 0xFFFFFF frames closed by a shorter one. -1 if not all of it has arrived.
      *
      * @throws ProtocolException if the logical payload exceeds {@code maxPayload} (checked as soon
      *     as the headers read so far prove it), or a continuation frame is out of sequence
      */
    public static long completeLogicalPacketLength(ByteBuf buf, int index, long maxPayload) {
        long total = 0;
        long wire = 0;
        int pos = index;
        int expectedSeq = -1;
        while (true) {
            if (buf.writerIndex() - pos < HEADER_SIZE) {
                return -1;
            }
            int len = buf.getUnsignedMediumLE(pos);
            int seq = buf.getUnsignedByte(pos + 3);
            if (expectedSeq >= 0 && seq != expectedSeq) {
                throw ProtocolException.outOfOrder(expectedSeq, seq);
            }
            expectedSeq = (seq + 1) & 0xFF;
            total += len;
            if (total > maxPayload) {
                throw ProtocolException.tooLarge(total, maxPayload);
            }
            wire += HEADER_SIZE + len;
            if (buf.writerIndex() - pos - HEADER_SIZE < len) {
                return -1;
            }
            pos += HEADER_SIZE + len;
            if (len < MAX_PAYLOAD) {
                return wire;
            }
        }
    }

    /**
      * Reads a complete logical payload (16 MiB rule applied) or returns null and consumes nothing.
      * A single frame comes back as a retained slice; a multi-frame payload as a composite of
      * retained slices, without copying. The caller releases the result. The first frame's sequence
      * id is at the reader index before the call; the next sequence id is that plus the number of
      * frames, {@code 1 + payload.readableBytes() / 0xFFFFFF}.
      *
      * @throws ProtocolException if the payload exceeds {@code maxPayload} or frames are out of order
      */
    public static ByteBuf readLogicalPayload(ByteBuf in, long maxPayload, ByteBufAllocator alloc) {
        long wire = completeLogicalPacketLength(in, in.readerIndex(), maxPayload);
        if (wire < 0) {
            return null;
        }
        int first = in.getUnsignedMediumLE(in.readerIndex());
        if (first < MAX_PAYLOAD) {
            in.skipBytes(HEADER_SIZE);
            return in.readRetainedSlice(first);
        }
        // No component limit: a limit would make the composite consolidate, i.e. copy.
        CompositeByteBuf out = alloc.compositeBuffer(Integer.MAX_VALUE);
        try {
            while (true) {
                int len = in.readUnsignedMediumLE();
                in.skipBytes(1);
                if (len > 0) {
                    out.addComponent(true, in.readRetainedSlice(len));
                }
                if (len < MAX_PAYLOAD) {
                    return out;
                }
            }
        } catch (RuntimeException e) {
            out.release();
            throw e;
        }
    }

    // ---------------------------------------------------------------- writing frames

    /** Number of frames a logical payload of {@code length} bytes takes. */
    public static long frameCount(long length) {
        return length / MAX_PAYLOAD + 1;
    }

    /**
      * Writes the readable bytes of {@code payload} (consumed) as frames with consecutive sequence
      * ids from {@code firstSequenceId}, split at 0xFFFFFF, with the closing empty frame when the
      * length is a multiple of 0xFFFFFF (zero included: an empty payload is one empty frame).
      *
      * @return the sequence id after the last frame written
      */
    public static int writeFrames(ByteBuf out, ByteBuf payload, int firstSequenceId) {
        int seq = firstSequenceId & 0xFF;
        while (true) {
            int len = Math.min(payload.readableBytes(), MAX_PAYLOAD);
            writeHeader(out, len, seq);
            out.writeBytes(payload, len);
            seq = (seq + 1) & 0xFF;
            if (len < MAX_PAYLOAD) {
                return seq;
            }
        }
    }

    /**
      * Reserves a header at the writer index; encode the payload after it, then call
      * {@link #finishFrames}. Returns the header's index.
      */
    public static int reserveHeader(ByteBuf out) {
        int index = out.writerIndex();
        out.writeMediumLE(0);
        out.writeByte(0);
        return index;
    }

    /**
      * Completes a payload written after {@link #reserveHeader}: fills in the header, or, if the
      * payload reached 0xFFFFFF bytes, rewrites it in place as split frames (one copy, only then).
      *
      * @return the sequence id after the last frame
      */
    public static int finishFrames(ByteBuf out, int headerIndex, int firstSequenceId) {
        int payloadStart = headerIndex + HEADER_SIZE;
        int len = out.writerIndex() - payloadStart;
        if (len < MAX_PAYLOAD) {
            setHeader(out, headerIndex, len, firstSequenceId & 0xFF);
            return (firstSequenceId + 1) & 0xFF;
        }
        ByteBuf copy = out.alloc().buffer(len);
        try {
            copy.writeBytes(out, payloadStart, len);
            out.writerIndex(headerIndex);
            return writeFrames(out, copy, firstSequenceId);
        } finally {
            copy.release();
        }
    }
}
