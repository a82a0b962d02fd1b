package io.baton.proxy;

import io.baton.protocol.Capabilities;
import io.baton.protocol.MySqlError;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ServerStatus;
import io.baton.protocol.message.OkPacket;
import io.baton.protocol.message.ComChangeUser;
import io.baton.protocol.message.ErrPacket;
import io.baton.protocol.message.HandshakeResponse41;
import io.baton.proxy.routing.Endpoint;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, from greeting to goodbye: the Netty handler of the client channel and the
 * owner of its backend connection, which hands each phase to the class whose job it is.
 * <ul>
 * <li>{@link LoginExchange}: greeting, TLS, authentication (Baton's own HandshakeV10 and scramble, the
 *     client verified against the user directory); then the backend is opened as the same user.</li>
 * <li>{@link BackendLink}: the backend connection's life (opened through a failover, swapped, lost) and what
 *     its loss means for the statement in flight ({@link InFlight}).</li>
 * <li>{@link CommandRelay}: client → server, slices of the bytes received (statement ids and KILL targets
 *     rewritten in place; {@link StatementHead} decides which statements are inspected).</li>
 * <li>{@link ResponseRelay}: server → client, verbatim, followed only far enough to know where each
 *     response ends and what its status flags say; {@link Exchange} is the command under way between the two.</li>
 * <li>{@link SessionMover}: to another server (failover, switchover, a lost backend) with
 *     {@link SessionReplay} rebuilding the {@link SessionState}; held at the {@link Gate}.</li>
 * </ul>
 * Everything runs on the client channel's event loop, which the backend channel shares: no locks.
 *
 * <p>Life: GREETING → (TLS) → AUTH [→ AUTH_SWITCH] → CONNECTING (backend login) → IDLE ⇄ IN_FLIGHT,
 * with GATED while a closed gate holds the next statement, MIGRATING while a backend on another server
 * is being prepared; CLOSED at the end.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    /** Packets at least this long are streamed through instead of being collected whole. */
    static final int STREAM_THRESHOLD = 64 * 1024;

    /** Capabilities Baton offers clients (before TLS and what the source supports). */
    static final int OFFERED = Capabilities.CLIENT_LONG_PASSWORD | Capabilities.CLIENT_FOUND_ROWS
            | Capabilities.CLIENT_LONG_FLAG | Capabilities.CLIENT_CONNECT_WITH_DB | Capabilities.CLIENT_NO_SCHEMA
            | Capabilities.CLIENT_ODBC | Capabilities.CLIENT_LOCAL_FILES | Capabilities.CLIENT_IGNORE_SPACE
            | Capabilities.CLIENT_PROTOCOL_41 | Capabilities.CLIENT_INTERACTIVE | Capabilities.CLIENT_IGNORE_SIGPIPE
            | Capabilities.CLIENT_TRANSACTIONS | Capabilities.CLIENT_SECURE_CONNECTION
            | Capabilities.CLIENT_MULTI_STATEMENTS | Capabilities.CLIENT_MULTI_RESULTS
            | Capabilities.CLIENT_PS_MULTI_RESULTS | Capabilities.CLIENT_PLUGIN_AUTH | Capabilities.CLIENT_CONNECT_ATTRS
            | Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;

    /** ER_CLIENT_INTERACTION_TIMEOUT, as a server sends it before it closes an idle session. */
    static final MySqlError INACTIVE = MySqlError.of(4031, "The client was disconnected by the server because of inactivity.");

    enum Phase { GREETING, AUTH_SWITCH, CONNECTING, IDLE, GATED, MIGRATING, IN_FLIGHT, CLOSED }

    /** Errors a session gets when its server changes under it (DESIGN.md, "Migration of a session"). */
    static MySqlError rolledBackByFailover(String why) {
        return MySqlError.ER_LOCK_DEADLOCK.withMessage("Transaction rolled back by failover (" + why
                + "); the session is usable: retry the transaction");
    }

    /** A read session with nowhere to go (reads.fallback error): what the client is told. */
    static MySqlError noReplica(String why) {
        return MySqlError.of(2003, "Can't connect to MySQL server: Baton's read port has no replica to serve this ("
                + why + "; reads.fallback is error)");
    }

    /** A statement (or login) that waited pool.maxWait for a server connection: ER_CON_COUNT_ERROR, naming the pool. */
    static MySqlError poolFull(Endpoint server, ProxySettings settings) {
        return MySqlError.ER_CON_COUNT_ERROR.withMessage("Too many connections: Baton's pool for " + server.name()
                + " has pool.maxPerServer = " + settings.pool().maxPerServer() + " connections in use and none came free"
                + " within pool.maxWait = " + settings.pool().maxWait().toMillis() + " ms");
    }

    static MySqlError outcomeUnknown(String why) {
        return MySqlError.ER_QUERY_INTERRUPTED.withMessage("Query execution was interrupted: " + why
                + "; its outcome is unknown (it may have committed). The session is usable on the new source");
    }

    // Shared with the login exchange (same event loop): the channel, the phase, the client's bytes not yet
    // read, the negotiated capabilities and the sequence id of the next packet to the client.
    final ProxyServer server;
    private final long id;
    private final long createdAt = System.currentTimeMillis();
    Channel ch;
    volatile Phase phase = Phase.GREETING;
    ByteBuf in;
    int capabilities;
    int seq;
    /** The login exchange (greeting to login), and the account it proved. */
    private final LoginExchange auth = new LoginExchange(this);
    BackendConnection backend;
    private final SessionState state = new SessionState();
    private boolean reserved;
    /** Set when a KILL CONNECTION for this session was sent: its backend's end then ends the session. */
    volatile boolean killed;
    /** The session's own wait_timeout in ms, once it set one (0: the proxy's limits.idleTimeout alone). */
    private volatile long sessionWaitMillis;

    // The command phase, by job: the command under way, client → server, server → client, moving.
    private final Exchange exchange = new Exchange();
    final CommandRelay relay = new CommandRelay(this, exchange);
    private final ResponseRelay response = new ResponseRelay(this, exchange);
    final SessionMover mover = new SessionMover(this);
    final BackendLink link = new BackendLink(this, exchange, response);
    /** The causal read levels of a read-port session: waits for its replica before a read (docs/reads.md). */
    final CausalRead causal = new CausalRead(this);
    /** Reads split off the read-write port to a replica (proxy.splitReads). */
    final SplitReads split = new SplitReads(this);
    /** The session's lease on a pooled connection: when it gives it back, and why it keeps it (docs/pool.md). */
    final BackendLease lease = new BackendLease(this);

    /** The open transaction's statements, for a replay on another server. */
    final TransactionLog txLog;

    /** A session of the read-only port: served by a replica, its backend read-only. */
    private final boolean readOnly;

    ClientSession(ProxyServer server, long id) {
        this(server, id, false);
    }

    ClientSession(ProxyServer server, long id, boolean readOnly) {
        this.server = server;
        this.id = id;
        this.readOnly = readOnly;
        this.txLog = new TransactionLog(server.settings().replay());
    }

    /** The session's read consistency (BATON SET consistency); null: reads.consistency. */
    private volatile ProxySettings.Consistency consistency;

    public ProxySettings.Consistency consistency() {
        ProxySettings.Consistency c = consistency;
        return c != null ? c : server.settings().reads().consistency();
    }

    void consistency(ProxySettings.Consistency c) {
        this.consistency = c;
    }

    /** Whether this session came in on the read-only port. */
    public boolean readOnly() {
        return readOnly;
    }

    /** The server this session's backend is on now, or null without one. */
    public Endpoint backendEndpoint() {
        BackendConnection b = backend;
        return b == null ? null : b.endpoint();
    }

    /**
     * A read session's replica (null: none yet, or a write session): where its statements go while it may serve, with
     * or without a connection held (docs/reads.md). Set on the session's loop by {@link ReadPool#home}.
     */
    volatile Endpoint readHome;

    /** The server this read session is on: its connection's, or between statements its replica's (null: none). */
    public Endpoint readServer() {
        Endpoint e = backendEndpoint();
        return e != null ? e : readHome;
    }

    public long id() {
        return id;
    }

    public SessionState state() {
        return state;
    }

    public String phase() {
        return phase.name();
    }

    /** Inside a transaction, or a statement is running: not yet at a clean boundary. */
    boolean busy() {
        return state.inTransaction || phase == Phase.IN_FLIGHT;
    }

    public long createdAtMillis() {
        return createdAt;
    }

    /**
     * Why this session keeps its pooled connection now (null: it gives it back when idle); for SHOW
     * SESSIONS and the metrics. Read from other threads: a snapshot.
     */
    public String pinnedBecause() {
        if (phase == Phase.CLOSED || !lease.pooled()) {
            return null;
        }
        return lease.pinnedBecause();
    }

    /** Whether the session holds a server connection now. */
    public boolean holdsBackend() {
        return backend != null;
    }

    Exchange exchange() {
        return exchange;
    }

    public long commands() {
        return relay.commands();
    }

    /** The client's address as host:port, or null before the connection is active. */
    public String clientAddress() {
        Channel c = ch;
        if (c == null || !(c.remoteAddress() instanceof java.net.InetSocketAddress a)) {
            return null;
        }
        return a.getAddress().getHostAddress() + ":" + a.getPort();
    }

    /** The backend's address, or null while there is none. */
    public String backendAddress() {
        BackendConnection b = backend;
        return b == null ? null : b.endpoint().address();
    }

    /** The backend's thread id on its server (0 while there is none). */
    long backendThreadId() {
        BackendConnection b = backend;
        return b == null || !b.isReady() ? 0 : b.threadId();
    }

    Channel channel() {
        return ch;
    }

    // ------------------------------------------------------------------------------ greeting

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ch = ctx.channel();
        if (!server.sessions().reserve(server.settings().maxConnections())) {
            server.metrics().refused("max_connections");
            // As a server at max_connections: an ERR in place of the greeting.
            sendErrAndClose(MySqlError.ER_CON_COUNT_ERROR, 0);
            return;
        }
        reserved = true;
        server.sessions().add(this);
        server.installIdleTimeout(ch); // limits.idleTimeout may have changed since this channel was set up
        server.metrics().opened();
        int offered = OFFERED | server.sourceCapabilityExtras();
        if (server.clientTls() != null) {
            offered |= Capabilities.CLIENT_SSL;
        }
        auth.greet(offered);
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        server.metrics().received(buf.readableBytes());
        if (phase == Phase.CLOSED) {
            buf.release();
            return;
        }
        in = in == null ? buf : BackendConnection.append(ctx.alloc(), in, buf);
        try {
            switch (phase) {
                case GREETING, AUTH_SWITCH -> auth.read();
                default -> relay.process();
            }
        } catch (ProtocolException e) {
            log.debug("session {}: {}", id, e.getMessage());
            sendErrAndClose(e.error(), phase == Phase.IN_FLIGHT || phase == Phase.IDLE ? 1 : seq + 1);
        } catch (RuntimeException e) {
            log.warn("session {}: closing after an internal error", id, e);
            sendErrAndClose(MySqlError.ER_UNKNOWN_ERROR.withMessage("Baton internal error: " + e), 1);
        } finally {
            if (in != null && !in.isReadable()) {
                in.release();
                in = null;
            }
        }
        ByteBuf tlsBytes = auth.takeAfterSslRequest();
        if (tlsBytes != null) {
            // The client did not wait for anything after its SSLRequest: its TLS handshake is already
            // here. Send it through the TLS handler just added, now that this read is done with.
            ch.pipeline().fireChannelRead(tlsBytes);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        BackendConnection b = backend;
        if (b != null && b.isReady()) {
            b.channel().flush();
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        // Backpressure: stop reading the server while the client cannot take more.
        BackendConnection b = backend;
        if (b != null && b.isReady()) {
            b.channel().config().setAutoRead(ch.isWritable());
        }
    }

    // ------------------------------------------------------------------------------ login

    /** How the backend is logged in: as the client's account, with its schema, character set and attributes. */
    BackendConnection.Login backendLogin() {
        return backendLogin(readOnly);
    }

    /** As {@link #backendLogin()}, read-only for the session when {@code readOnly} (a replica serving reads). */
    BackendConnection.Login backendLogin(boolean readOnly) {
        UserDirectory.Account account = auth.account();
        return new BackendConnection.Login(account.user(), account.password(), auth.nativeStage1(), state.schema,
                state.characterSet, capabilities, auth.maxPacketSize(), auth.connectAttributes(), id,
                server.tracksCommitGtids(), readOnly);
    }

    /** Called by the login exchange once the client is verified: open its backend as that user. */
    void loggedIn() {
        UserDirectory.Account account = auth.account();
        HandshakeResponse41 login = auth.login();
        state.user = account.user();
        state.schema = (capabilities & Capabilities.CLIENT_CONNECT_WITH_DB) != 0 ? login.database() : null;
        state.characterSet = login.characterSet();
        auth.done();
        phase = Phase.CONNECTING;
        link.open();
    }

    // ------------------------------------------------------------------------------ session timeout, held commits

    long sessionWaitMillis() {
        return sessionWaitMillis;
    }

    /**
     * The session's wait_timeout changed (the server's tracker said so; null: reset to the default): Baton closes
     * the session after that much idleness as the server would, and does not quietly replace the backend the
     * server closes then.
     */
    void sessionWaitTimeout(String seconds) {
        long ms = 0;
        if (seconds != null) {
            try {
                ms = Math.multiplyExact(Long.parseLong(seconds.trim()), 1000L);
            } catch (NumberFormatException | ArithmeticException e) {
                ms = 0;
            }
        }
        if (ms != sessionWaitMillis) {
            sessionWaitMillis = ms;
            server.installIdleTimeout(ch, ms);
        }
    }

    /** Whether this session's commit OK is held for the replicas (durability.mode replica). */
    boolean holdingCommit() {
        return response.holding();
    }

    /** A response held for the replicas was answered: the client's next command may run. */
    void resumeAfterResponse() {
        relay.process();
    }

    // ------------------------------------------------------------------------------ change of user, backends

    /**
     * COM_CHANGE_USER: verified here against Baton's directory (with the connection's scramble, as a
     * server does), then the session gets a fresh backend as the new user: the server-side state is
     * reset exactly as a change of user resets it.
     */
    void changeUser(ByteBuf payload) {
        ComChangeUser cu;
        try {
            cu = ComChangeUser.decode(payload, capabilities);
        } finally {
            payload.release();
        }
        if (!auth.verifyChangeUser(cu)) {
            replyErr(MySqlError.accessDenied(cu.user(), auth.remoteHost(), cu.authResponse().length > 0));
            return;
        }
        BackendConnection old = backend;
        state.reset();
        exchange().longData = null; // its connection closes below, with whatever long data it held
        txLog.clear();
        sessionWaitTimeout(null);
        state.user = auth.account().user();
        state.schema = cu.database() == null || cu.database().isEmpty() ? null : cu.database();
        if (cu.characterSet() > 0) {
            state.characterSet = cu.characterSet();
        }
        seq = 0;
        phase = Phase.CONNECTING;
        if (old != null) {
            backend = null;
            old.close(); // first: with the pool, its slot is the one the new login takes
        }
        link.restartConnect();
        link.open();
    }

    /** Moves this session to {@code target}: see {@link SessionMover#moveTo}. */
    java.util.concurrent.CompletableFuture<Boolean> moveTo(Endpoint target, String why) {
        return mover.moveTo(target, why);
    }

    /** A moved session's new backend, its state already rebuilt, takes the old one's place. */
    void swapBackend(BackendConnection fresh) {
        link.swap(fresh);
    }

    void dropBackend() {
        link.drop();
    }

    // ------------------------------------------------------------------------------ replies, close

    void write(java.util.function.Consumer<ByteBuf> body) {
        ByteBuf out = ch.alloc().buffer();
        int h = Packets.reserveHeader(out);
        body.accept(out);
        Packets.finishFrames(out, h, seq & 0xFF);
        ch.write(out);
    }

    /** An OK in answer to the current command (sequence id 1), as a server answers a SET. */
    void replyOk() {
        ByteBuf out = ch.alloc().buffer();
        int h = Packets.reserveHeader(out);
        OkPacket.of(statusFlags()).encode(out, capabilities);
        Packets.finishFrames(out, h, 1);
        ch.writeAndFlush(out);
        phase = phase == Phase.CLOSED ? Phase.CLOSED : Phase.IDLE;
    }

    /**
     * A one-column, one-row text result set in answer to the current command: column count, column definition,
     * [EOF], the row, then EOF (or OK in its 0xFE form under CLIENT_DEPRECATE_EOF); sequence ids from 1.
     */
    void replyValue(String column, String value) {
        ByteBuf out = ch.alloc().buffer();
        int sq = 1;
        int h = Packets.reserveHeader(out);
        new io.baton.protocol.message.ColumnCount(1, 0).encode(out, capabilities);
        Packets.finishFrames(out, h, sq++);
        h = Packets.reserveHeader(out);
        new io.baton.protocol.message.ColumnDefinition41("", "", "", column, column, 255, 256, 0xFD, 0, 0).encode(out);
        Packets.finishFrames(out, h, sq++);
        boolean deprecateEof = (capabilities & Capabilities.CLIENT_DEPRECATE_EOF) != 0;
        if (!deprecateEof) {
            h = Packets.reserveHeader(out);
            new io.baton.protocol.message.EofPacket(0, statusFlags()).encode(out, capabilities);
            Packets.finishFrames(out, h, sq++);
        }
        h = Packets.reserveHeader(out);
        io.baton.protocol.ProtocolIO.writeLenencString(out, value, java.nio.charset.StandardCharsets.UTF_8);
        Packets.finishFrames(out, h, sq++);
        h = Packets.reserveHeader(out);
        if (deprecateEof) {
            new OkPacket(OkPacket.EOF_HEADER, 0, 0, statusFlags(), 0, "", java.util.List.of()).encode(out, capabilities);
        } else {
            new io.baton.protocol.message.EofPacket(0, statusFlags()).encode(out, capabilities);
        }
        Packets.finishFrames(out, h, sq);
        ch.writeAndFlush(out);
        phase = phase == Phase.CLOSED ? Phase.CLOSED : Phase.IDLE;
    }

    /** The status flags a server would report for this session now (autocommit, in transaction). */
    private int statusFlags() {
        return (state.autocommit ? ServerStatus.SERVER_STATUS_AUTOCOMMIT : 0)
                | (state.inTransaction ? ServerStatus.SERVER_STATUS_IN_TRANS : 0);
    }

    /** An ERR in answer to the current command (sequence id 1). */
    void replyErr(MySqlError e) {
        ByteBuf out = ch.alloc().buffer();
        int h = Packets.reserveHeader(out);
        e.toErrPacket().encode(out, capabilities);
        Packets.finishFrames(out, h, 1);
        ch.writeAndFlush(out);
        phase = phase == Phase.CLOSED ? Phase.CLOSED : Phase.IDLE;
    }

    void sendErrAndClose(MySqlError e, int sequenceId) {
        if (phase == Phase.CLOSED || ch == null || !ch.isActive()) {
            close();
            return;
        }
        ByteBuf out = ch.alloc().buffer();
        int h = Packets.reserveHeader(out);
        new ErrPacket(e.errno(), e.sqlState(), e.message()).encode(out, capabilities | Capabilities.CLIENT_PROTOCOL_41);
        Packets.finishFrames(out, h, sequenceId & 0xFF);
        phase = Phase.CLOSED;
        // Closing with unread client bytes would reset the connection and could destroy the ERR before
        // the client reads it (a client still sending an oversized packet, say). So: send the ERR, end
        // our side, drop whatever still arrives, and close once the client does or after a grace period.
        ch.writeAndFlush(out).addListener(f -> {
            if (f.isSuccess() && ch instanceof io.netty.channel.socket.DuplexChannel d && ch.pipeline().get(SslHandler.class) == null) {
                d.shutdownOutput();
                ch.eventLoop().schedule(this::close, 1, TimeUnit.SECONDS);
                releaseBuffersAndSlot();
            } else {
                close();
            }
        });
    }

    /** What close() frees, without closing the channel yet. */
    private void releaseBuffersAndSlot() {
        auth.cancelDeadline();
        if (in != null) {
            in.release();
            in = null;
        }
        BackendConnection b = backend;
        backend = null;
        if (b != null) {
            b.close();
        }
        leaveRegistry();
    }

    /** The session no longer counts: its replica's read sessions, the registry and its slot. True the first time. */
    private boolean leaveRegistry() {
        if (readOnly) {
            server.readPool().home(this, null);
        }
        if (!reserved) {
            return false;
        }
        reserved = false;
        server.sessions().remove(this);
        server.sessions().release();
        server.metrics().closed();
        return true;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && phase == Phase.IDLE) {
            // As a server past wait_timeout: ER_CLIENT_INTERACTION_TIMEOUT, then close.
            server.metrics().idleClosed();
            sendErrAndClose(INACTIVE, 0);
        }
        ctx.fireUserEventTriggered(evt);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        // A client that resets its connection is routine: DEBUG, not ERROR.
        log.debug("session {}: {}", id, cause.toString());
        close();
    }

    /** Ends the session: backend closed with COM_QUIT, buffers released, slot returned. Idempotent. */
    void close() {
        boolean first = phase != Phase.CLOSED || reserved;
        // A client that leaves between statements leaves a connection another session can use.
        boolean parkable = phase == Phase.IDLE && !killed && backend != null && backend.isReady() && lease.pooled()
                && lease.pinnedBecause() == null && (in == null || !in.isReadable());
        if (parkable) {
            lease.release();
        }
        phase = Phase.CLOSED;
        auth.cancelDeadline();
        mover.close();
        link.close();
        auth.release();
        if (in != null) {
            in.release();
            in = null;
        }
        response.close();
        exchange.forget();
        split.close();
        BackendConnection b = backend;
        backend = null;
        if (b != null) {
            b.close();
        }
        if (leaveRegistry()) {
            log.debug("session {} user '{}' disconnected after {} commands", id, state.user, relay.commands());
        }
        if (first && ch != null && ch.isOpen()) {
            ch.close();
        }
    }

    @Override
    public String toString() {
        return "ClientSession[" + id + ", " + state.user + ", " + phase + "]";
    }
}
