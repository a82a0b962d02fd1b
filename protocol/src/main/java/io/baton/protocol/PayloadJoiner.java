package io.baton.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;

/**
  * Reassembles logical payloads from frame payloads that arrive one at a time (the 16 MiB rule of
  * https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_packets.html): a frame of
  * 0xFFFFFF bytes is continued by the next one, and the payload ends with the first shorter frame
  * (possibly empty).
  *
  * <p>A payload that fits in one frame passes through untouched; longer ones are joined into a
  * composite buffer without copying. The total is bounded: the joiner throws as soon as the frames
  * received exceed the limit, and it never allocates by a length it has not received. Not
  * thread-safe; one per connection direction.
  */
public final class PayloadJoiner {

    private final ByteBufAllocator alloc;
    private final long maxPayload;
    private CompositeByteBuf pending;
    private int expectedSequenceId;

    /**
      * @param alloc allocator of the composite buffers
      * @param maxPayload the largest logical payload accepted, e.g. max_allowed_packet
      */
    public PayloadJoiner(ByteBufAllocator alloc, long maxPayload) {
        if (maxPayload < 0) {
            throw new IllegalArgumentException("maxPayload < 0");
        }
        this.alloc = alloc;
        this.maxPayload = maxPayload;
    }

    /**
      * Adds one frame's payload; ownership passes to the joiner.
      *
      * @return the complete logical payload (the caller owns and releases it), or null if more
      *     frames are needed
      * @throws ProtocolException if the payload grows past the limit or the frame's sequence id does
      *     not follow the previous frame's; the partial payload is released
      */
    public ByteBuf add(ByteBuf framePayload, int sequenceId) {
        int len = framePayload.readableBytes();
        if (len > Packets.MAX_PAYLOAD) {
            framePayload.release();
            throw new IllegalArgumentException("a frame payload has at most 0xFFFFFF bytes: " + len);
        }
        if (pending == null) {
            if (len > maxPayload) {
                framePayload.release();
                throw ProtocolException.tooLarge(len, maxPayload);
            }
            if (len < Packets.MAX_PAYLOAD) {
                return framePayload;
            }
            // No component limit: a limit would make the composite consolidate, i.e. copy.
            pending = alloc.compositeBuffer(Integer.MAX_VALUE);
            pending.addComponent(true, framePayload);
            expectedSequenceId = (sequenceId + 1) & 0xFF;
            return null;
        }
        if (sequenceId != expectedSequenceId) {
            framePayload.release();
            int expected = expectedSequenceId;
            reset();
            throw ProtocolException.outOfOrder(expected, sequenceId);
        }
        long total = (long) pending.readableBytes() + len;
        if (total > maxPayload) {
            framePayload.release();
            reset();
            throw ProtocolException.tooLarge(total, maxPayload);
        }
        if (len > 0) {
            pending.addComponent(true, framePayload);
        } else {
            framePayload.release();
        }
        expectedSequenceId = (sequenceId + 1) & 0xFF;
        if (len == Packets.MAX_PAYLOAD) {
            return null;
        }
        ByteBuf done = pending;
        pending = null;
        return done;
    }

    /** True while a payload is partly received. */
    public boolean inProgress() {
        return pending != null;
    }

    /** Drops a partly received payload (releases it). */
    public void reset() {
        if (pending != null) {
            pending.release();
            pending = null;
        }
    }
}
