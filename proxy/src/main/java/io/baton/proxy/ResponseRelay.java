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
    /**
     * What may be held after a commit's OK while the response goes on (a multi-statement or CALL answering more
     * after its commit): past this the backend is not read and the replicas are asked at once.
     */
    static final int HOLD_LIMIT = 1 << 20;

    private final ClientSession s;
    private final Exchange x;
    /** The server's bytes not yet relayed (an incomplete packet). */
    private ByteBuf srv;
    /** Bytes of the current server packet still to stream through as they arrive. */
    private int serverStream;
    /**
     * durability.mode replica: the GTID of the commit this response reported, and the response's bytes from
     * its OK on, held until replicas have the transaction ({@link CommitAcks}); null when nothing is held.
     */
    private String commitGtid;
    private io.netty.buffer.CompositeByteBuf held;
    private int heldSeq;
    private String heldServer;
    /** The held response is complete on the server: the client waits for the replicas alone. */
    private boolean serverDone;
    /** A wait for the replicas is under way; its number (an answer to an older one is dropped). */
    private boolean asking;
    private int askGeneration;

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
        if (s.phase == ClientSession.Phase.IN_FLIGHT) {
            x.answered = true;
        }
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
                if (s.phase != ClientSession.Phase.IN_FLIGHT || serverDone) {
                    // Nothing was asked: e.g. the server's farewell ERR before it closes (also while a complete
                    // response waits for the replicas). The client is not reading a response now, so it is not
                    // told; the close is handled as such.
                    log.debug("session {}: {} unsolicited bytes from {}", s.id(), end - pos, b.endpoint());
                    if (end - pos >= Packets.HEADER_SIZE + 3 && buf.getUnsignedByte(pos + Packets.HEADER_SIZE) == 0xFF
                            && buf.getUnsignedShortLE(pos + Packets.HEADER_SIZE + 1) == 4031) {
                        s.link.serverTimedOut = true; // ER_CLIENT_INTERACTION_TIMEOUT: the server closes it for inactivity
                    }
                    if (pos > start) {
                        emit(buf.retainedSlice(start, pos - start));
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
                PacketKind kind = x.framer.packetKind();
                if (kind == PacketKind.ROW) {
                    x.rows++; // FOUND_ROWS() of this statement, should the next run on another connection
                } else if (kind == PacketKind.COLUMN_COUNT) {
                    x.rows = 0;
                }
                if (x.digesting) {
                    if (whole) {
                        x.digest.packet(x.framer.packetKind(), buf, pos + Packets.HEADER_SIZE, len);
                    } else {
                        x.digestBroken = true;
                    }
                }
                if (whole) {
                    boolean holding = held != null;
                    ByteBuf replacement = onServerPacket(buf, pos, len, packetSeq);
                    if (!holding && commitGtid != null) {
                        // From this OK on, the response waits for the replicas.
                        if (pos > start) {
                            emit(buf.retainedSlice(start, pos - start));
                        }
                        start = pos;
                        held = ch.alloc().compositeBuffer(64);
                        heldSeq = packetSeq;
                        heldServer = b.endpoint().name();
                    }
                    if (replacement != null) {
                        if (pos > start) {
                            emit(buf.retainedSlice(start, pos - start));
                        }
                        emit(replacement);
                        start = pos + Packets.HEADER_SIZE + len;
                    }
                    pos += Packets.HEADER_SIZE + len;
                    if (held != null && !asking && held.readableBytes() + (pos - start) > HOLD_LIMIT) {
                        // Much more follows the commit: ask now, and read no more of it until the replicas answer.
                        b.channel().config().setAutoRead(false);
                        awaitReplicas();
                    }
                } else {
                    serverStream = Packets.HEADER_SIZE + len - (end - pos);
                    pos = end;
                }
                if (step == Step.COMPLETE) {
                    if (held != null) {
                        if (pos > start) {
                            emit(buf.retainedSlice(start, pos - start));
                            start = pos;
                        }
                        serverDone = true;
                        if (!asking) {
                            awaitReplicas();
                        }
                        s.mover.responseHeld();
                    } else {
                        completed = true;
                        responseComplete();
                    }
                } else if (step == Step.LOCAL_INFILE) {
                    x.infile = true;
                    x.lastInfileFrameFull = false;
                    completed = true; // the client's file data may be queued already
                }
            }
            if (pos > start) {
                emit(buf.retainedSlice(start, pos - start));
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

    /** Drops what is buffered from the server (its backend is gone or replaced); a held OK stays held. */
    void release() {
        if (srv != null) {
            srv.release();
            srv = null;
        }
        serverStream = 0;
    }

    /** The session closes: a held OK is dropped too (the answer from the replicas, when it comes, finds nothing). */
    void close() {
        release();
        abandon();
    }

    /**
     * Whether the client waits for the replicas alone: the response is complete on the server and a commit's OK
     * in it is held. (While the response still runs on the server this is false: its backend still matters.)
     */
    boolean holding() {
        return held != null && serverDone;
    }

    /** Whether a commit's OK is held, the response complete or not. */
    boolean holdingAnything() {
        return held != null;
    }

    /**
     * The response under way will not complete (its backend is lost): what is held is dropped. Returns the
     * sequence id of the client's next packet: the held OK's when one was held (the client never saw it).
     */
    int abandon() {
        int next = held != null ? heldSeq : x.replySeq;
        askGeneration++;
        asking = false;
        serverDone = false;
        dropHeld();
        return next;
    }

    private void emit(ByteBuf bytes) {
        if (held != null) {
            held.addComponent(true, bytes);
        } else {
            s.ch.write(bytes, s.ch.voidPromise());
        }
    }

    private void dropHeld() {
        if (held != null) {
            held.release();
            held = null;
        }
        commitGtid = null;
    }

    /**
     * The response is complete on the server and its OK is held: asks {@link CommitAcks} and answers the client
     * on this session's loop when the replicas (or the bound) decide. The client reads nothing meanwhile.
     */
    private void awaitReplicas() {
        CommitAcks acks = s.server.commitAcks();
        String gtid = commitGtid;
        long t0 = System.nanoTime();
        int generation = ++askGeneration;
        asking = true;
        ProxyMetrics metrics = s.server.metrics();
        metrics.commitHeld();
        java.util.concurrent.CompletableFuture<CommitAcks.Outcome> f;
        try {
            f = acks == null ? java.util.concurrent.CompletableFuture.completedFuture(CommitAcks.Outcome.ACKNOWLEDGED)
                    : acks.acknowledged(heldServer, gtid);
        } catch (RuntimeException e) {
            f = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        f.whenComplete((outcome, err) -> {
            metrics.commitReleased(t0);
            s.ch.eventLoop().execute(() -> replicasAnswered(generation, gtid,
                    err != null ? CommitAcks.Outcome.UNKNOWN : outcome, err));
        });
    }

    private void replicasAnswered(int generation, String gtid, CommitAcks.Outcome outcome, Throwable err) {
        if (generation != askGeneration || held == null || s.phase == ClientSession.Phase.CLOSED) {
            return; // the session closed or lost the response meanwhile
        }
        asking = false;
        if (outcome == CommitAcks.Outcome.UNKNOWN) {
            if (err != null) {
                log.warn("session {}: waiting for the replicas to have {} failed: {}", s.id(), gtid, err.toString());
            }
            MySqlError unknown = MySqlError.ER_QUERY_INTERRUPTED.withMessage("Query execution was interrupted: Baton"
                    + " holds this commit's OK until a replica has the transaction (durability.mode replica), and no"
                    + " replica reported " + gtid + " in time; the commit may or may not survive a failover: its"
                    + " outcome is unknown");
            int at = heldSeq;
            if (!serverDone) {
                // The response goes on after the OK: the error cannot take its place and the rest still follow.
                abandon();
                s.sendErrAndClose(unknown, at);
                return;
            }
            held.release();
            held = null;
            ByteBuf out = s.ch.alloc().buffer();
            int h = Packets.reserveHeader(out);
            unknown.toErrPacket().encode(out, s.capabilities);
            Packets.finishFrames(out, h, at);
            s.ch.write(out, s.ch.voidPromise());
        } else if (!gtid.equals(commitGtid)) {
            awaitReplicas(); // the response committed again meanwhile: its OK waits for that commit too
            return;
        } else {
            s.ch.write(held, s.ch.voidPromise());
            held = null;
        }
        commitGtid = null;
        s.ch.flush();
        if (!serverDone) {
            // Released before the response ended (it went on past HOLD_LIMIT): the rest streams through as usual.
            BackendConnection b = s.backend;
            if (b != null && b.isReady()) {
                b.channel().config().setAutoRead(s.ch.isWritable());
            }
            return;
        }
        serverDone = false;
        responseComplete();
        s.ch.config().setAutoRead(true);
        s.resumeAfterResponse();
    }

    /** Looks at a whole server packet; returns a replacement when the client must see other bytes. */
    private ByteBuf onServerPacket(ByteBuf buf, int frame, int len, int packetSeq) {
        PacketKind kind = x.framer.packetKind();
        int payload = frame + Packets.HEADER_SIZE;
        switch (kind) {
            case PREPARE_OK -> {
                SessionState.PreparedStatement ps = s.state().prepared(x.framer.preparedStatementId(),
                        x.pendingPrepareSql, x.framer.preparedParamCount(), x.framer.preparedColumnCount());
                if (s.lease.pooled()) {
                    // other sessions of this connection's state may run it too
                    s.backend.prepared(ps.sql, ps.serverId, s.lease.key());
                }
                x.pendingPrepareSql = null;
                buf.setIntLE(payload + 1, ps.clientId); // the client knows Baton's id, stable across servers
                return null;
            }
            case OK, OK_AS_EOF -> {
                if (kind == PacketKind.OK && len > 2) {
                    // OK: 0x00, affected_rows<lenenc>, last_insert_id<lenenc>, ...
                    int first = buf.getUnsignedByte(payload + 1);
                    int size = io.baton.protocol.ProtocolIO.lenencIntSizeOf(first);
                    if (size > 0 && 1 + size < len
                            && io.baton.protocol.ProtocolIO.lenencIntSizeOf(buf.getUnsignedByte(payload + 1 + size)) > 0) {
                        x.affected = io.baton.protocol.ProtocolIO.getLenencInt(buf, payload + 1);
                        x.rows = -1;
                        long insertId = io.baton.protocol.ProtocolIO.getLenencInt(buf, payload + 1 + size);
                        if (insertId != 0) {
                            s.state().lastInsertId = insertId;
                            s.state().insertIdUnsure = true;
                            s.backend.lastInsertId = insertId;
                        }
                    }
                }
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
            case COLUMN_COUNT -> {
                if (x.processlist) {
                    long n = io.baton.protocol.ProtocolIO.getLenencInt(buf, payload);
                    x.idColumns = n > 0 && n <= 4096 ? new boolean[(int) n] : null;
                    x.columnIndex = 0;
                    x.anyIdColumn = false;
                }
                return null;
            }
            case COLUMN_DEFINITION -> {
                if (x.idColumns != null && x.columnIndex < x.idColumns.length) {
                    io.baton.protocol.message.ColumnDefinition41 def =
                            io.baton.protocol.message.ColumnDefinition41.decode(buf.slice(payload, len));
                    boolean id = ConnectionIds.idColumn(def.orgTable(), def.orgName(), def.name(), x.columnIndex,
                            x.showProcesslist);
                    x.idColumns[x.columnIndex++] = id;
                    x.anyIdColumn |= id;
                }
                return null;
            }
            case ROW -> {
                if (!x.anyIdColumn || x.command != Command.COM_QUERY) {
                    return null;
                }
                if (x.threadToSession == null) {
                    x.threadToSession = s.server.backendThreads(s.backend.endpoint());
                }
                return ConnectionIds.rewriteRow(s.ch.alloc(), buf, payload, len, x.idColumns, x.threadToSession,
                        packetSeq);
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
        boolean changed = false;
        boolean explained = false;
        for (SessionStateChange c : ok.sessionStateChanges()) {
            changed |= c instanceof SessionStateChange.StateChange;
            explained |= c instanceof SessionStateChange.Schema || c instanceof SessionStateChange.SystemVariable
                    || c instanceof SessionStateChange.Gtids;
        }
        if (changed && (x.call || (!explained && !x.stateInText))) {
            // State only this server has, that neither a tracked variable nor the statement's text (whose own rule pins
            // then) explains. A CALL's changes are never taken as explained: its procedure may have set more than the
            // variables it reports, and its text shows nothing of it.
            x.stateChangeUnexplained = true;
        }
        for (SessionStateChange c : ok.sessionStateChanges()) {
            if (c instanceof SessionStateChange.Schema schema) {
                state.schema = schema.name().isEmpty() ? null : schema.name();
                s.txLog.spoil("the default schema changed inside the transaction");
            } else if (c instanceof SessionStateChange.SystemVariable v) {
                if (!"last_gtid".equals(v.name())) {
                    // A replay starts from the session's variables as they are at the end: the same only if none changed.
                    s.txLog.spoil("session variable " + v.name() + " changed inside the transaction");
                }
                if ("last_gtid".equals(v.name())) {
                    // MariaDB's GTID of the transaction this session committed last (read-only, never replayed)
                    if (!v.value().isEmpty()) {
                        committed(state, v.value());
                    }
                    continue;
                }
                if (v.name().toLowerCase(java.util.Locale.ROOT).startsWith("session_track_")) {
                    s.state().pin("session tracker changed"); // what Baton learns of the connection's state is changed
                }
                if ("wait_timeout".equalsIgnoreCase(v.name())) {
                    s.sessionWaitTimeout(v.value());
                }
                if ("session_track_gtids".equals(v.name()) && s.server.commitAcks() != null
                        && !"OWN_GTID".equalsIgnoreCase(v.value()) && !"ALL_GTIDS".equalsIgnoreCase(v.value())) {
                    log.warn("session {} user '{}' set session_track_gtids = {}: its commits are no longer held for the"
                            + " replicas (durability.mode replica)", s.id(), state.user, v.value());
                }
                state.variable(v.name(), v.value());
            } else if (c instanceof SessionStateChange.Gtids g && !g.gtids().isEmpty()) {
                committed(state, g.gtids());
            }
        }
    }

    /**
     * The server committed {@code gtid} for this session: causal reads learn it before the OK goes on to the client,
     * and with durability.mode replica the OK waits for it.
     */
    private void committed(SessionState state, String gtid) {
        if (s.server.settings().reads().tracksWrites()) {
            s.server.writeMarks().record(state.user, gtid);
            if (s.server.settings().reads().splits()) {
                s.split.committed(gtid);
            }
        }
        if (s.server.commitAcks() != null) {
            addCommit(gtid);
        }
    }

    /** A commit in this response: the OK waits for all of them (a multi-statement response may commit twice). */
    private void addCommit(String gtid) {
        String g = gtid.trim();
        commitGtid = commitGtid == null ? g : commitGtid + "," + g;
    }

    /** The response is complete: its effects on the session are recorded and the session is IDLE again. */
    private void responseComplete() {
        SessionState state = s.state();
        s.server.metrics().responded(x.startNanos);
        if (x.framer.statusFlags() >= 0) {
            state.status(x.framer.statusFlags());
        }
        s.txLog.completed(x, state);
        if (state.inTransaction && s.backend == null) {
            // Its OK was held for the replicas while the backend went (lost, or the session moved), and the
            // response left a transaction open (COMMIT AND CHAIN, COMMIT; BEGIN): that one is gone.
            s.relay.tellAtNextStatement(ClientSession.rolledBackByFailover("its server changed while a commit's OK"
                    + " waited for the replicas"), false);
            state.inTransaction = false;
        }
        if (x.pendingReset && x.framer.isSuccess()) {
            state.reset();
            x.longData = null; // the server dropped every statement's long data
            if (s.backend != null) {
                s.backend.statementsReset();
            }
            s.sessionWaitTimeout(null);
        }
        x.pendingReset = false;
        if (x.killTarget != null) {
            if (!x.framer.isSuccess()) {
                x.killTarget.killed = false; // the server refused the KILL: the target lives on
            }
            x.killTarget = null;
        }
        if (x.command == Command.COM_INIT_DB && x.framer.isSuccess() && s.backend != null && !s.backend.tracksSession()) {
            state.schema = null; // unknown without the tracker; the next OK with a schema sets it
        }
        s.lease.responded(x.command, x.framer.isError(), x.framer.warnings(), x.rows, x.affected, x.stateChangeUnexplained);
        x.forget();
        s.split.responseComplete(); // a read on the session's replica: the source backend is its own again
        s.phase = ClientSession.Phase.IDLE;
        s.mover.completeDeferredMove();
    }
}
