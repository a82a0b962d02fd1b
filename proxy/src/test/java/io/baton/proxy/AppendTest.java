package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import org.junit.jupiter.api.Test;

/** How Baton gathers the bytes of a packet that arrives in pieces (BackendConnection.append). */
class AppendTest {
    private static final int PIECE = 64 * 1024;

    @Test
    void aLargePacketInPiecesIsCopiedAFewTimesNotOncePerPiece() {
        for (ByteBufAllocator alloc : new ByteBufAllocator[] {PooledByteBufAllocator.DEFAULT,
                UnpooledByteBufAllocator.DEFAULT}) {
            ByteBuf cum = piece(alloc, 0);
            int copies = 0;
            for (int i = 1; i < 512; i++) { // 32 MiB, as a client's 32 MiB execute arrives
                ByteBuf before = cum;
                int capacity = cum.capacity();
                cum = BackendConnection.append(alloc, cum, piece(alloc, i));
                if (cum != before || cum.capacity() != capacity) {
                    copies++; // a new buffer, or the same one reallocated: what it held was copied
                }
            }
            try {
                assertEquals(512 * PIECE, cum.readableBytes());
                for (int i = 0; i < 512; i++) {
                    assertEquals((byte) i, cum.getByte(i * PIECE), "piece " + i);
                    assertEquals((byte) i, cum.getByte(i * PIECE + PIECE - 1), "piece " + i);
                }
                // Growth is geometric (then in 4 MiB steps): a copy per piece made 32 MiB cost 8 GiB of copying.
                assertTrue(copies <= 24, copies + " copies for 512 pieces with " + alloc);
            } finally {
                cum.release();
            }
        }
    }

    @Test
    void bytesStillReferencedElsewhereAreNotMoved() {
        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        ByteBuf cum = piece(alloc, 1);
        cum.skipBytes(PIECE / 2);
        ByteBuf queued = cum.retainedSlice(0, PIECE / 2); // e.g. a write to the other side not flushed yet
        cum = BackendConnection.append(alloc, cum, piece(alloc, 2));
        try {
            assertEquals(PIECE / 2 + PIECE, cum.readableBytes());
            assertEquals(1, cum.getByte(cum.readerIndex()));
            assertEquals(2, cum.getByte(cum.writerIndex() - 1));
            for (int i = 0; i < PIECE / 2; i++) {
                assertEquals(1, queued.getByte(i), "byte " + i + " of the queued write");
            }
        } finally {
            queued.release();
            cum.release();
        }
    }

    @Test
    void whatWasConsumedDoesNotAccumulate() {
        ByteBufAllocator alloc = PooledByteBufAllocator.DEFAULT;
        ByteBuf cum = piece(alloc, 0);
        for (int i = 1; i < 2000; i++) {
            cum.skipBytes(cum.readableBytes() - 3); // a partial header stays behind each time, as in a stream
            cum = BackendConnection.append(alloc, cum, piece(alloc, i));
            assertEquals(PIECE + 3, cum.readableBytes());
            assertEquals((byte) (i - 1), cum.getByte(cum.readerIndex()));
            assertEquals((byte) i, cum.getByte(cum.writerIndex() - 1));
        }
        try {
            assertTrue(cum.capacity() <= 4 * PIECE, "capacity " + cum.capacity() + " after 2000 pieces");
        } finally {
            cum.release();
        }
    }

    private static ByteBuf piece(ByteBufAllocator alloc, int mark) {
        ByteBuf b = alloc.buffer(PIECE);
        for (int i = 0; i < PIECE; i++) {
            b.writeByte(mark);
        }
        return b;
    }
}
