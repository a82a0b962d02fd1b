package io.baton.proxy;

import io.baton.protocol.Command;
import io.baton.protocol.MySqlError;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.baton.protocol.ResponseFramer;
import io.baton.proxy.routing.Endpoint;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The causal read levels of a read-port session (docs/reads.md): before a statement that starts outside a
 * transaction, under reads.consistency user or global, the session's replica must have executed every write of the
 * {@link WriteMarks} the level names. Known from the latest measurement or an earlier wait: the statement goes at
 * once. Otherwise Baton asks the replica to wait for those GTIDs, at most reads.causalTimeout, on the session's own
 * backend (the client's statement waits behind it); when they do not come, or the replica is lost meanwhile, the
 * statement runs on the source. One wait at a time per session, on its event loop.
 */
final class CausalRead implements BackendConnection.Listener {
    private static final Logger log = LoggerFactory.getLogger(CausalRead.class);
    /** Past reads.causalTimeout, how long Baton waits for the server's answer to the wait before giving up on it. */
    private static final long ANSWER_GRACE_MILLIS = 1000;

    private final ClientSession s;
    private final ResponseFramer framer = new ResponseFramer();
    /** The backend a wait runs on; null when none runs. */
    private BackendConnection waitingOn;
    private GtidMark waitingFor;
    private long startNanos;
    private ScheduledFuture<?> guard;
    private ByteBuf cum;
    /** The first column of the wait's row (null: NULL, or no row yet). */
    private String answer;
    /** The wait on this backend ended with the writes there: the statement at the head goes on it unchecked. */
    private BackendConnection cleared;
    /** The statement at the head runs on the source (its wait timed out); cleared once it starts. */
    private boolean toSource;

    CausalRead(ClientSession session) {
        this.s = session;
    }

    /** Whether the session's next statement must run on the source, for consistency. */
    boolean toSource() {
        return toSource;
    }

    /** The statement at the head was taken (sent, or answered by Baton): the next one is checked afresh. */
    void statementStarted() {
        toSource = false;
        cleared = null;
    }

    /**
     * Before the client's next command ({@code cmd}; for COM_QUERY its text starts at {@code sql}, {@code have}
     * bytes) goes to {@code b}: true when it must wait (a wait runs; the relay goes on when it ends).
     */
    boolean holds(BackendConnection b, int cmd, ByteBuf in, int sql, int have) {
        if (waitingOn != null) {
            return true;
        }
        if (cleared == b || toSource || !s.readOnly() || s.state().inTransaction
                || (cmd != Command.COM_QUERY && cmd != Command.COM_STMT_EXECUTE)) {
            return false;
        }
        ProxySettings.Reads reads = s.server.settings().reads();
        ProxySettings.Consistency level = s.consistency();
        if (!reads.tracksWrites() || (level != ProxySettings.Consistency.USER && level != ProxySettings.Consistency.GLOBAL)) {
            return false;
        }
        if (cmd == Command.COM_QUERY && ReadStatements.startsWithBaton(in, sql, have)) {
            return false; // answered by Baton
        }
        GtidMark want = s.server.writeMarks().required(level == ProxySettings.Consistency.USER ? s.state().user : null);
        Endpoint on = b.endpoint();
        if (want.isEmpty() || on.equals(s.server.source())) {
            return false; // nothing to see, or on the source, which has every acknowledged write
        }
        if (s.server.readPool().covers(on, want)) {
            s.server.metrics().causalRead("at_once", 0);
            return false;
        }
        start(b, want, reads.causalTimeout().toMillis());
        return true;
    }

    private void start(BackendConnection b, GtidMark want, long timeoutMillis) {
        waitingOn = b;
        waitingFor = want;
        startNanos = System.nanoTime();
        answer = null;
        b.listener(this);
        ByteBuf out = b.queryPacket(want.waitStatement(timeoutMillis));
        framer.begin(Command.COM_QUERY, b.capabilities());
        guard = b.channel().eventLoop().schedule(() -> {
            if (waitingOn == b) {
                log.info("session {}: {} did not answer its wait for {} within {} ms; the read runs on the source",
                        s.id(), b.endpoint(), want, timeoutMillis + ANSWER_GRACE_MILLIS);
                end("timeout");
            }
        }, timeoutMillis + ANSWER_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        b.channel().writeAndFlush(out);
    }

    @Override
    public void backendRead(BackendConnection b, ByteBuf msg) {
        if (b != waitingOn) {
            msg.release();
            return;
        }
        cum = cum == null ? msg : BackendConnection.append(b.channel().alloc(), cum, msg);
        try {
            while (waitingOn == b) {
                int frame = Packets.completeFrameLength(cum, cum.readerIndex(), Packets.MAX_PAYLOAD);
                if (frame < 0) {
                    break;
                }
                int at = cum.readerIndex();
                ResponseFramer.Step step = framer.onFrame(cum, at);
                if (framer.packetKind() == ResponseFramer.PacketKind.ROW && answer == null) {
                    // Text row: one lenenc string per column, 0xFB for NULL; the wait's value is the first.
                    ByteBuf row = cum.slice(at + Packets.HEADER_SIZE, frame - Packets.HEADER_SIZE);
                    answer = row.getUnsignedByte(row.readerIndex()) == 0xFB ? null
                            : ProtocolIO.readLenencString(row, StandardCharsets.US_ASCII);
                }
                cum.skipBytes(frame);
                if (step == ResponseFramer.Step.COMPLETE) {
                    boolean reached = framer.isSuccess() && "0".equals(answer);
                    if (!reached) {
                        log.debug("session {}: {} has not executed {} within reads.causalTimeout ({}); the read runs"
                                + " on the source", s.id(), b.endpoint(), waitingFor,
                                framer.isError() ? "error " + framer.errorCode() : "answered " + answer);
                    }
                    end(reached ? "reached" : "timeout");
                } else if (step != ResponseFramer.Step.MORE) {
                    end("timeout");
                }
            }
        } catch (ProtocolException | IndexOutOfBoundsException e) {
            log.warn("session {}: a malformed answer to the causal wait from {}: {}", s.id(), b.endpoint(), e.getMessage());
            end("timeout");
        } finally {
            if (cum != null && !cum.isReadable()) {
                cum.release();
                cum = null;
            }
        }
    }

    /**
     * The wait is over: reached (the statement goes on this replica), timeout (it goes to the source), or lost (the
     * replica went away; the session reconnects as after any lost backend and is checked again there).
     */
    private void end(String outcome) {
        BackendConnection b = waitingOn;
        waitingOn = null;
        if (guard != null) {
            guard.cancel(false);
            guard = null;
        }
        if (cum != null) {
            cum.release();
            cum = null;
        }
        s.server.metrics().causalRead(outcome, startNanos);
        if (s.phase == ClientSession.Phase.CLOSED) {
            return;
        }
        b.listener(s.link);
        switch (outcome) {
            case "reached" -> {
                s.server.readPool().confirmed(b.endpoint(), waitingFor);
                cleared = b;
                s.relay.process();
            }
            case "lost" -> s.link.backendClosed(b);
            default -> {
                toSource = true;
                s.server.metrics().readReason("consistency_source");
                if (b == s.backend) {
                    s.dropBackend(); // answered or not, the connection is behind: the next one goes to the source
                }
                s.relay.process();
            }
        }
    }

    @Override
    public void backendClosed(BackendConnection b) {
        if (b == waitingOn) {
            end("lost");
        }
    }

    @Override
    public void backendFailed(BackendConnection b, MySqlError error) {
        if (b == waitingOn) {
            end("lost");
        }
    }

    @Override
    public void backendReady(BackendConnection b) {
        // a wait starts on a ready backend
    }

    @Override
    public void backendReadComplete(BackendConnection b) {
        // nothing goes to the client during a wait
    }

    @Override
    public void backendWritabilityChanged(BackendConnection b) {
        // one small statement
    }
}
