package io.baton.proxy;

import io.baton.protocol.Command;
import io.baton.protocol.MySqlError;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.baton.protocol.ResponseFramer;
import io.baton.protocol.message.ErrPacket;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.function.BiConsumer;

/**
 * One short query of Baton's own on a connection no session is using, answered with the first column of its first
 * row (text protocol); e.g. what LAST_INSERT_ID() holds before a pooled connection is given back. The answer, or an
 * error, goes to {@code done} on the connection's loop; the connection's listener is the caller's to set again.
 */
final class ConnectionQuery implements BackendConnection.Listener {
    private final ResponseFramer framer = new ResponseFramer();
    private final BiConsumer<String, MySqlError> done;
    private ByteBuf cum;
    private String value;
    private boolean finished;

    private ConnectionQuery(BiConsumer<String, MySqlError> done) {
        this.done = done;
    }

    /** Runs {@code sql} on {@code b}; no answer within {@code timeoutMillis} is an error (the caller closes {@code b}). */
    static void run(BackendConnection b, String sql, long timeoutMillis, BiConsumer<String, MySqlError> done) {
        ConnectionQuery q = new ConnectionQuery(done);
        b.listener(q);
        b.channel().writeAndFlush(b.queryPacket(sql));
        q.framer.begin(Command.COM_QUERY, b.capabilities());
        b.channel().eventLoop().schedule(() -> q.finish(null, MySqlError.of(2013, "Lost connection to MySQL server: no"
                + " answer to Baton's " + sql + " within " + timeoutMillis + " ms")), timeoutMillis,
                java.util.concurrent.TimeUnit.MILLISECONDS);
    }

    @Override
    public void backendRead(BackendConnection b, ByteBuf msg) {
        if (finished) {
            msg.release();
            return;
        }
        cum = cum == null ? msg : BackendConnection.append(b.channel().alloc(), cum, msg);
        try {
            while (!finished) {
                int frame = Packets.completeFrameLength(cum, cum.readerIndex(), Packets.MAX_PAYLOAD);
                if (frame < 0) {
                    break;
                }
                int at = cum.readerIndex();
                ResponseFramer.Step step = framer.onFrame(cum, at);
                ResponseFramer.PacketKind kind = framer.packetKind();
                if (kind == ResponseFramer.PacketKind.ERR) {
                    ErrPacket err = ErrPacket.decode(cum.slice(at + Packets.HEADER_SIZE, frame - Packets.HEADER_SIZE),
                            b.capabilities());
                    cum.skipBytes(frame);
                    finish(null, MySqlError.of(err.errno(), err.message()));
                    return;
                }
                if (kind == ResponseFramer.PacketKind.ROW && value == null) {
                    // A text row: each value a length-encoded string (0xFB: NULL).
                    ByteBuf row = cum.slice(at + Packets.HEADER_SIZE, frame - Packets.HEADER_SIZE);
                    value = row.getUnsignedByte(row.readerIndex()) == 0xFB ? ""
                            : ProtocolIO.readLenencString(row, StandardCharsets.UTF_8);
                }
                cum.skipBytes(frame);
                if (step == ResponseFramer.Step.COMPLETE) {
                    finish(value, null);
                    return;
                }
            }
        } catch (ProtocolException | IndexOutOfBoundsException e) {
            finish(null, MySqlError.ER_NET_READ_ERROR.withMessage("malformed answer: " + e.getMessage()));
        } finally {
            if (cum != null && !cum.isReadable()) {
                cum.release();
                cum = null;
            }
        }
    }

    private void finish(String v, MySqlError error) {
        if (finished) {
            return;
        }
        finished = true;
        if (cum != null) {
            cum.release();
            cum = null;
        }
        done.accept(v, error);
    }

    @Override
    public void backendReady(BackendConnection b) {
        // only ever run on a ready connection
    }

    @Override
    public void backendFailed(BackendConnection b, MySqlError error) {
        finish(null, error);
    }

    @Override
    public void backendReadComplete(BackendConnection b) {
        // nothing to flush
    }

    @Override
    public void backendClosed(BackendConnection b) {
        finish(null, MySqlError.CR_SERVER_LOST);
    }

    @Override
    public void backendWritabilityChanged(BackendConnection b) {
        // one small query
    }
}
