package io.baton.proxy;

import io.baton.protocol.Capabilities;
import io.baton.protocol.Command;
import io.baton.protocol.MySqlError;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ResponseFramer;
import io.baton.protocol.ResponseFramer.PacketKind;
import io.baton.protocol.ResponseFramer.Step;
import io.baton.protocol.message.OkPacket;
import io.baton.protocol.message.SessionStateChange;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Server → client: the backend's bytes go back to the client verbatim, as slices, while the
 * {@link Exchange}'s framer follows the response far enough to know where it ends and what its status
 * flags say. A few whole packets are looked at on the way (a prepared statement's id is swapped for
 * Baton's, session state is tracked and stripped for clients that did not ask for it); large packets
 * stream through without being collected.
 */
final class ResponseRelay {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    /** A terminal-looking server packet (OK/EOF/ERR) below this size is always collected whole. */
    private static final int WHOLE_STATUS_PACKET = 1 << 20;

    private final ClientSession s;
    private final Exchange x;
    /** The server's bytes not yet relayed (an incomplete packet). */
    private ByteBuf srv;
    /** Bytes of the current server packet still to stream through as they arrive. */
    private int serverStream;

    ResponseRelay(ClientSession session, Exchange exchange) {
        this.s = session;
        this.x = exchange;
    }

    /**
     * Relays what the backend sent. Returns true when a response completed (or the server asked for a
     * LOCAL INFILE): the client's next packets may be read and relayed.
     */
    boolean read(BackendConnection b, ByteBuf msg) {
        Channel ch = s.ch;
        srv = srv == null ? msg : BackendConnection.append(b.channel().alloc(), srv, msg);
        ByteBuf buf = srv;
        int start = buf.readerIndex();
        int pos = start;
        int end = buf.writerIndex();
        boolean completed = false;
        try {
            while (pos < end) {
                if (serverStream > 0) {
                    int n = Math.min(serverStream, end - pos);
                    pos += n;
                    serverStream -= n;
                    continue;
                }
                if (s.phase != ClientSession.Phase.IN_FLIGHT) {
                    // Nothing was asked: e.g. the server's farewell ERR before it closes. The client is
                    // not reading a response now, so it is not told; the close is handled as such.
                    log.debug("session {}: {} unsolicited bytes from {}", s.id(), end - pos, b.endpoint());
                    if (pos > start) {
                        ch.write(buf.retainedSlice(start, pos - start), ch.voidPromise());
                    }
                    start = end;
                    pos = end;
                    break;
                }
                if (end - pos < Packets.HEADER_SIZE) {
                    break;
                }
                int len = Packets.payloadLength(buf, pos);
                int packetSeq = Packets.sequenceId(buf, pos);
                int have = end - pos - Packets.HEADER_SIZE;
                boolean whole = have >= len;
                if (!whole) {
                    if (have < Math.min(len, ResponseFramer.PEEK_LENGTH)) {
                        break;
                    }
                    int first = buf.getUnsignedByte(pos + Packets.HEADER_SIZE);
                    boolean status = first == 0x00 || first == 0xFE || first == 0xFF;
                    if ((status && len < WHOLE_STATUS_PACKET) || len < ClientSession.STREAM_THRESHOLD) {
                        break;
                    }
                }
                Step step = x.framer.onPacket(buf, pos + Packets.HEADER_SIZE, len, packetSeq);
                x.replySeq = (packetSeq + 1) & 0xFF;
                if (whole) {
                    ByteBuf replacement = onServerPacket(buf, pos, len, packetSeq);
                    if (replacement != null) {
                        if (pos > start) {
                            ch.write(buf.retainedSlice(start, pos - start), ch.voidPromise());
                        }
                        ch.write(replacement, ch.voidPromise());
                        start = pos + Packets.HEADER_SIZE + len;
                    }
                    pos += Packets.HEADER_SIZE + len;
                } else {
                    serverStream = Packets.HEADER_SIZE + len - (end - pos);
                    pos = end;
                }
                if (step == Step.COMPLETE) {
                    completed = true;
                    responseComplete();
                } else if (step == Step.LOCAL_INFILE) {
                    x.infile = true;
                    x.lastInfileFrameFull = false;
                    completed = true; // the client's file data may be queued already
                }
            }
            if (pos > start) {
                ch.write(buf.retainedSlice(start, pos - start), ch.voidPromise());
            }
            buf.readerIndex(pos);
        } catch (ProtocolException e) {
            log.warn("session {}: bad response from {} to {}: {}", s.id(), b.endpoint(), Command.name(x.command),
                    e.getMessage());
            release();
            s.sendErrAndClose(MySqlError.ER_NET_READ_ERROR.withMessage("Baton received a malformed response from "
                    + b.endpoint() + ": " + e.getMessage()), 1);
            return false;
        } finally {
            if (srv != null && !srv.isReadable()) {
                srv.release();
                srv = null;
            }
        }
        return completed;
    }

    /** Drops what is buffered from the server (its backend is gone or replaced). */
    void release() {
        if (srv != null) {
            srv.release();
            srv = null;
        }
        serverStream = 0;
    }

    /** Looks at a whole server packet; returns a replacement when the client must see other bytes. */
    private ByteBuf onServerPacket(ByteBuf buf, int frame, int len, int packetSeq) {
        PacketKind kind = x.framer.packetKind();
        int payload = frame + Packets.HEADER_SIZE;
        switch (kind) {
            case PREPARE_OK -> {
                SessionState.PreparedStatement ps = s.state().prepared(x.framer.preparedStatementId(),
                        x.pendingPrepareSql, x.framer.preparedParamCount(), x.framer.preparedColumnCount());
                x.pendingPrepareSql = null;
                buf.setIntLE(payload + 1, ps.clientId); // the client knows Baton's id, stable across servers
                return null;
            }
            case OK, OK_AS_EOF -> {
                if (!x.framer.lastPacketHasSessionState()) {
                    return null;
                }
                int serverCaps = s.backend.capabilities();
                track(OkPacket.decode(buf.slice(payload, len), serverCaps));
                if ((s.capabilities & Capabilities.CLIENT_SESSION_TRACK) != 0) {
                    return null;
                }
                // The client did not ask for session state: the same OK without it.
                ByteBuf out = s.ch.alloc().buffer(Packets.HEADER_SIZE + len);
                int h = Packets.reserveHeader(out);
                OkPacket.stripSessionState(buf.slice(payload, len), serverCaps, out);
                Packets.setHeader(out, h, out.writerIndex() - h - Packets.HEADER_SIZE, packetSeq);
                return out;
            }
            case ERR -> {
                if (x.command == Command.COM_STMT_PREPARE) {
                    x.pendingPrepareSql = null;
                }
                return null;
            }
            default -> {
                return null;
            }
        }
    }

    /** The session tracker's news (schema, system variables) kept in the session's state. */
    private void track(OkPacket ok) {
        SessionState state = s.state();
        for (SessionStateChange c : ok.sessionStateChanges()) {
            if (c instanceof SessionStateChange.Schema schema) {
                state.schema = schema.name().isEmpty() ? null : schema.name();
            } else if (c instanceof SessionStateChange.SystemVariable v) {
                state.variable(v.name(), v.value());
            }
        }
    }

    /** The response is complete: its effects on the session are recorded and the session is IDLE again. */
    private void responseComplete() {
        SessionState state = s.state();
        s.server.metrics().responded(x.startNanos);
        if (x.framer.statusFlags() >= 0) {
            state.status(x.framer.statusFlags());
        }
        if (x.pendingReset && x.framer.isSuccess()) {
            state.reset();
        }
        x.pendingReset = false;
        if (x.killTarget != null) {
            if (!x.framer.isSuccess()) {
                x.killTarget.killed = false; // the server refused the KILL: the target lives on
            }
            x.killTarget = null;
        }
        if (x.command == Command.COM_INIT_DB && x.framer.isSuccess() && !s.backend.tracksSession()) {
            state.schema = null; // unknown without the tracker; the next OK with a schema sets it
        }
        s.phase = ClientSession.Phase.IDLE;
        s.mover.completeDeferredMove();
    }
}
