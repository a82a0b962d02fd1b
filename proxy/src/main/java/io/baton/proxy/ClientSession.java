package io.baton.proxy;

import io.baton.protocol.Capabilities;
import io.baton.protocol.Command;
import io.baton.protocol.MySqlError;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ResponseFramer;
import io.baton.protocol.ResponseFramer.PacketKind;
import io.baton.protocol.ResponseFramer.Step;
import io.baton.protocol.ServerStatus;
import io.baton.protocol.message.ComChangeUser;
import io.baton.protocol.message.ErrPacket;
import io.baton.protocol.message.HandshakeResponse41;
import io.baton.protocol.message.OkPacket;
import io.baton.protocol.message.SessionStateChange;
import io.baton.proxy.routing.Endpoint;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection, from greeting to goodbye. Baton terminates the handshake ({@link LoginExchange}:
 * its own HandshakeV10 and scramble, the client verified against the user directory), then opens a backend
 * connection as the same user on the current source and relays the command phase: client packets
 * go through as slices (statement ids and KILL targets rewritten in place), server responses go
 * back verbatim, followed by a {@link ResponseFramer} only far enough to know where each ends and
 * what its status flags say. Everything runs on the client channel's event loop, which the backend
 * channel shares: no locks.
 *
 * <p>Life: GREETING → (TLS) → AUTH [→ AUTH_SWITCH] → CONNECTING (backend login) → IDLE ⇄ IN_FLIGHT,
 * with GATED while a closed gate holds the next statement; CLOSED at the end.
 */
public final class ClientSession extends ChannelInboundHandlerAdapter implements BackendConnection.Listener {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    /** Packets at least this long are streamed through instead of being collected whole. */
    static final int STREAM_THRESHOLD = 64 * 1024;
    /** A terminal-looking server packet (OK/EOF/ERR) below this size is always collected whole. */
    private static final int WHOLE_STATUS_PACKET = 1 << 20;
    private static final int QUERY_HEAD = 512;
    private static final Pattern KILL = Pattern.compile(
            "^\\s*KILL\\s+(?:(QUERY|CONNECTION)\\s+)?(\\d{1,10})\\s*;?\\s*$", Pattern.CASE_INSENSITIVE);

    /** Capabilities Baton offers clients (before TLS and what the source supports). */
    static final int OFFERED = Capabilities.CLIENT_LONG_PASSWORD | Capabilities.CLIENT_FOUND_ROWS
            | Capabilities.CLIENT_LONG_FLAG | Capabilities.CLIENT_CONNECT_WITH_DB | Capabilities.CLIENT_NO_SCHEMA
            | Capabilities.CLIENT_ODBC | Capabilities.CLIENT_LOCAL_FILES | Capabilities.CLIENT_IGNORE_SPACE
            | Capabilities.CLIENT_PROTOCOL_41 | Capabilities.CLIENT_INTERACTIVE | Capabilities.CLIENT_IGNORE_SIGPIPE
            | Capabilities.CLIENT_TRANSACTIONS | Capabilities.CLIENT_SECURE_CONNECTION
            | Capabilities.CLIENT_MULTI_STATEMENTS | Capabilities.CLIENT_MULTI_RESULTS
            | Capabilities.CLIENT_PS_MULTI_RESULTS | Capabilities.CLIENT_PLUGIN_AUTH | Capabilities.CLIENT_CONNECT_ATTRS
            | Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;

    enum Phase { GREETING, AUTH_SWITCH, CONNECTING, IDLE, GATED, MIGRATING, IN_FLIGHT, CLOSED }

    /** Errors a session gets when its server changes under it (DESIGN.md, "Migration of a session"). */
    static MySqlError rolledBackByFailover(String why) {
        return MySqlError.ER_LOCK_DEADLOCK.withMessage("Transaction rolled back by failover (" + why
                + "); the session is usable: retry the transaction");
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
    private ByteBuf srv;
    /** The login exchange (greeting to login), and the account it proved. */
    private final LoginExchange auth = new LoginExchange(this);
    private BackendConnection backend;
    private final ResponseFramer framer = new ResponseFramer();
    private final SessionState state = new SessionState();
    private Gate.Waiter gateWaiter;
    private boolean reserved;

    // command phase
    private int command = -1;
    private int clientStream;
    private boolean clientContinuation;
    private long clientLogicalLength;
    private boolean infile;
    private boolean lastInfileFrameFull;
    private int serverStream;
    private String pendingPrepareSql;
    private boolean pendingReset;
    private long commands;
    private long commandStartNanos; // for the statement latency meter
    /** Sequence id the next packet to the client must carry while a response is under way. */
    private int replySeq = 1;
    /** Bytes of a client packet to drop (its command was refused or its backend is gone). */
    private int clientDiscard;
    /** Told to the client in answer to its next statement (which is then not run). */
    private MySqlError pendingError;
    private boolean pendingErrorCloses;
    /** A move requested while a statement ran: done when its response completes. */
    private Endpoint moveAfterResponse;
    private java.util.concurrent.CompletableFuture<Boolean> moveDone;
    private long reconnectDeadline;
    /** Each move attempt's number: a newer one supersedes a pending one, whose result is then dropped. */
    private int moveGeneration;
    /** Set when a KILL CONNECTION for this session was sent: its backend's end then ends the session. */
    private volatile boolean killed;
    /** The session this one's KILL CONNECTION targets, until the server has answered it. */
    private ClientSession killTarget;
    private BackendConnection moving;
    private java.util.concurrent.CompletableFuture<Boolean> movingDone;

    ClientSession(ProxyServer server, long id) {
        this.server = server;
        this.id = id;
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

    public long commands() {
        return commands;
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
                default -> processClient();
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

    // ------------------------------------------------------------------------------ login

    /** How the backend is logged in: as the client's account, with its schema, character set and attributes. */
    private BackendConnection.Login backendLogin() {
        UserDirectory.Account account = auth.account();
        HandshakeResponse41 login = auth.login();
        return new BackendConnection.Login(account.user(), account.password(), auth.nativeStage1(), state.schema,
                state.characterSet, capabilities, login.maxPacketSize(), login.connectAttributes(), id);
    }

    /** Called by the login exchange once the client is verified: open its backend as that user. */
    void loggedIn() {
        UserDirectory.Account account = auth.account();
        HandshakeResponse41 login = auth.login();
        state.user = account.user();
        state.schema = (capabilities & Capabilities.CLIENT_CONNECT_WITH_DB) != 0 ? login.database() : null;
        state.characterSet = login.characterSet();
        phase = Phase.CONNECTING;
        openBackend();
    }

    // ------------------------------------------------------------------------------ backend

    private void openBackend() {
        Endpoint source = server.source();
        if (source == null) {
            sendErrAndClose(MySqlError.of(2003, "Can't connect to MySQL server: Baton has no source server to route to"), seq + 1);
            return;
        }
        BackendConnection.Login l = backendLogin();
        backend = BackendConnection.open(ch.eventLoop(), source, l, server.settings(), server.backendTls(), this);
    }

    @Override
    public void backendReady(BackendConnection b) {
        if (b != backend || phase == Phase.CLOSED) {
            b.close();
            return;
        }
        server.metrics().backendConnected();
        seq++;
        write(OkPacket.of(ServerStatus.SERVER_STATUS_AUTOCOMMIT)::encode, capabilities);
        ch.flush();
        phase = Phase.IDLE;
        log.debug("session {} user {} logged in, backend {} thread {}", id, state.user, b.endpoint(), b.threadId());
        if (moveAfterResponse != null) {
            completeDeferredMove();
            return;
        }
        processClient();
    }

    @Override
    public void backendFailed(BackendConnection b, MySqlError error) {
        if (b != backend) {
            return;
        }
        server.metrics().backendError();
        backend = null;
        log.info("session {} user '{}': backend login at {} failed: {}", id, state.user, b.endpoint(), error);
        sendErrAndClose(error, phase == Phase.CONNECTING ? seq + 1 : 1);
    }

    @Override
    public void backendClosed(BackendConnection b) {
        if (b != backend || phase == Phase.CLOSED) {
            return;
        }
        // The server went away (crash, kill, network): the client session stays. Its next statement
        // goes to whatever the router says then, after the gate if it is closed.
        backend = null;
        releaseServerBuffer();
        if (killed) {
            // KILL CONNECTION: the session ends, as on a server.
            log.debug("session {} was killed", id);
            if (phase == Phase.IN_FLIGHT) {
                sendErrAndClose(MySqlError.ER_CONNECTION_KILLED, replySeq);
            } else {
                close();
            }
            return;
        }
        server.metrics().backendError();
        String why = "the connection to " + b.endpoint() + " was lost";
        if (phase == Phase.IN_FLIGHT) {
            log.info("session {} user '{}': {} during {}", id, state.user, why, Command.name(command));
            state.inTransaction = false;
            infile = false;
            clientContinuation = false;
            clientDiscard = clientStream;
            clientStream = 0;
            phase = Phase.IDLE;
            ByteBuf out = ch.alloc().buffer();
            int h = Packets.reserveHeader(out);
            outcomeUnknown(why).toErrPacket().encode(out, capabilities);
            Packets.finishFrames(out, h, replySeq);
            ch.writeAndFlush(out);
            completeDeferredMove();
        } else if (state.inTransaction) {
            log.info("session {} user '{}': {} inside a transaction", id, state.user, why);
            pendingError = rolledBackByFailover(why);
            state.inTransaction = false;
        } else {
            log.debug("session {}: {} while idle; it reconnects at its next statement", id, why);
        }
        if (phase == Phase.IDLE) {
            processClient();
        }
    }

    /** A move asked for while a statement ran happens now. */
    private void completeDeferredMove() {
        Endpoint target = moveAfterResponse;
        java.util.concurrent.CompletableFuture<Boolean> f = moveDone;
        if (target == null) {
            return;
        }
        moveAfterResponse = null;
        moveDone = null;
        moveTo(target, "source changed").whenComplete((ok, e) -> f.complete(ok != null && ok));
    }

    @Override
    public void backendWritabilityChanged(BackendConnection b) {
        // Backpressure: stop reading the client while the backend cannot take more.
        if (b == backend) {
            ch.config().setAutoRead(b.channel().isWritable());
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        BackendConnection b = backend;
        if (b != null && b.isReady()) {
            b.channel().config().setAutoRead(ch.isWritable());
        }
    }

    // ------------------------------------------------------------------------------ client → server

    /** Relays client packets: a new command when idle; the rest of a streamed packet or LOCAL INFILE data in flight. */
    private void processClient() {
        BackendConnection b = backend;
        boolean wrote = false;
        while (in != null && in.isReadable() && phase != Phase.CLOSED) {
            int ri = in.readerIndex();
            int avail = in.readableBytes();
            if (clientDiscard > 0) {
                int n = Math.min(clientDiscard, avail);
                in.skipBytes(n);
                clientDiscard -= n;
                continue;
            }
            if (clientStream > 0) {
                int n = Math.min(clientStream, avail);
                b.channel().write(in.retainedSlice(ri, n), b.channel().voidPromise());
                in.skipBytes(n);
                clientStream -= n;
                wrote = true;
                continue;
            }
            if (clientContinuation || infile) {
                if (avail < Packets.HEADER_SIZE) {
                    break;
                }
                int len = Packets.payloadLength(in, ri);
                if (clientContinuation) {
                    clientLogicalLength += len;
                    checkPacketSize(clientLogicalLength);
                    clientContinuation = len == Packets.MAX_PAYLOAD;
                } else if (len == 0 && !lastInfileFrameFull) {
                    infile = false; // the empty packet ends the file; the server answers OK or ERR
                }
                if (infile) {
                    lastInfileFrameFull = len == Packets.MAX_PAYLOAD;
                }
                int n = Math.min(avail, Packets.HEADER_SIZE + len);
                replySeq = (Packets.sequenceId(in, ri) + 1) & 0xFF;
                b.channel().write(in.retainedSlice(ri, n), b.channel().voidPromise());
                in.skipBytes(n);
                clientStream = Packets.HEADER_SIZE + len - n;
                wrote = true;
                continue;
            }
            if (phase != Phase.IDLE) {
                break; // a response is under way: the next command waits its turn
            }
            if (avail < Packets.HEADER_SIZE + 1) {
                break;
            }
            int len = Packets.payloadLength(in, ri);
            int packetSeq = Packets.sequenceId(in, ri);
            if (packetSeq != 0) {
                throw new ProtocolException(MySqlError.ER_NET_PACKETS_OUT_OF_ORDER);
            }
            checkPacketSize(len);
            int cmd = in.getUnsignedByte(ri + Packets.HEADER_SIZE);
            boolean whole = avail >= Packets.HEADER_SIZE + len;
            boolean streamable = len >= STREAM_THRESHOLD && (cmd == Command.COM_QUERY
                    || cmd == Command.COM_STMT_EXECUTE || cmd == Command.COM_STMT_SEND_LONG_DATA);
            if (!whole && !streamable) {
                break;
            }
            if (pendingError != null && Command.expectsResponse(cmd)) {
                // The statement is not run: the client first learns what happened to its session.
                MySqlError e = pendingError;
                pendingError = null;
                skipCommand(len, avail);
                if (pendingErrorCloses) {
                    sendErrAndClose(e, 1);
                    return;
                }
                replyErr(e);
                continue;
            }
            if (!server.gate().isOpen() && !state.inTransaction) {
                park();
                break;
            }
            if (b == null || !b.isReady()) {
                reconnect();
                break;
            }
            ByteBuf replacement = startCommand(cmd, ri + Packets.HEADER_SIZE, len, whole);
            if (replacement == CONSUMED) {
                if (phase != Phase.CLOSED && in != null && in.readerIndex() == ri) {
                    skipCommand(len, avail);
                }
                continue;
            }
            replySeq = 1;
            commands++;
            commandStartNanos = server.metrics().command(cmd, in, ri + Packets.HEADER_SIZE, len);
            if (replacement != null) {
                in.skipBytes(Packets.HEADER_SIZE + len);
                b.channel().write(replacement, b.channel().voidPromise());
            } else {
                int n = Math.min(avail, Packets.HEADER_SIZE + len);
                b.channel().write(in.retainedSlice(ri, n), b.channel().voidPromise());
                in.skipBytes(n);
                clientStream = Packets.HEADER_SIZE + len - n;
            }
            wrote = true;
            clientContinuation = len == Packets.MAX_PAYLOAD;
            clientLogicalLength = len;
            phase = framer.expectsResponse() ? Phase.IN_FLIGHT : Phase.IDLE;
            if (cmd == Command.COM_QUIT) {
                close();
                return;
            }
        }
        if (wrote && b != null) {
            b.channel().flush();
        }
        // Bound what a client may queue behind a running command.
        if (in != null && in.readableBytes() > server.settings().maxPacketBytes() + STREAM_THRESHOLD) {
            ch.config().setAutoRead(false);
        }
    }

    private void checkPacketSize(long logicalLength) {
        if (logicalLength > server.settings().maxPacketBytes()) {
            throw new ProtocolException(MySqlError.ER_NET_PACKET_TOO_LARGE);
        }
    }

    /** Marker: the command was answered by Baton itself and its bytes are consumed. */
    private static final ByteBuf CONSUMED = io.netty.buffer.Unpooled.EMPTY_BUFFER.asReadOnly();

    /**
     * Prepares a client command for the backend. Returns null to forward it as it is, a
     * replacement packet, or {@link #CONSUMED} when Baton answered it itself.
     */
    private ByteBuf startCommand(int cmd, int payload, int len, boolean whole) {
        command = cmd;
        try {
            framer.begin(cmd, backend.capabilities());
        } catch (ProtocolException e) {
            replyErr(e.error().withMessage(Command.name(cmd) + " is not relayed by Baton"));
            return CONSUMED;
        }
        switch (cmd) {
            case Command.COM_QUERY -> {
                int headLen = Math.min(Math.min(len - 1, QUERY_HEAD), in.writerIndex() - payload - 1);
                if (!mayChangeUnmovableState(in, payload + 1, headLen)) {
                    return null; // the common case: no String, no regex
                }
                String head = in.toString(payload + 1, headLen, StandardCharsets.UTF_8);
                state.inspect(head);
                Matcher kill = KILL.matcher(head);
                if (whole && len - 1 <= QUERY_HEAD && kill.matches()) {
                    return killStatement(kill.group(1), Long.parseLong(kill.group(2)));
                }
                return null;
            }
            case Command.COM_STMT_PREPARE -> {
                pendingPrepareSql = in.toString(payload + 1, len - 1, StandardCharsets.UTF_8);
                return null;
            }
            case Command.COM_STMT_EXECUTE, Command.COM_STMT_FETCH, Command.COM_STMT_RESET,
                 Command.COM_STMT_SEND_LONG_DATA, Command.COM_STMT_CLOSE -> {
                if (len < 5) {
                    throw ProtocolException.malformed(Command.name(cmd) + " without a statement id");
                }
                int clientId = in.getIntLE(payload + 1);
                SessionState.PreparedStatement ps = state.statement(clientId);
                if (ps == null) {
                    if (framer.expectsResponse()) {
                        replyErr(MySqlError.unknownStatement(clientId & 0xFFFFFFFFL, Command.name(cmd)));
                    }
                    return CONSUMED; // CLOSE and SEND_LONG_DATA get no answer, as from a server
                }
                in.setIntLE(payload + 1, ps.serverId);
                if (cmd == Command.COM_STMT_CLOSE) {
                    state.closeStatement(clientId);
                }
                if (cmd == Command.COM_STMT_EXECUTE && ps.params > 0 && whole) {
                    return executeWithTypes(ps, payload, len);
                }
                return null;
            }
            case Command.COM_PROCESS_KILL -> {
                if (len < 5) {
                    throw ProtocolException.malformed("COM_PROCESS_KILL without an id");
                }
                ClientSession target = server.sessions().get(in.getUnsignedIntLE(payload + 1));
                if (target == null || target.backendThreadId() == 0) {
                    replyErr(MySqlError.of(1094, "Unknown thread id: " + in.getUnsignedIntLE(payload + 1)));
                    return CONSUMED;
                }
                target.killed = true;
                killTarget = target;
                in.setIntLE(payload + 1, (int) target.backendThreadId());
                return null;
            }
            case Command.COM_CHANGE_USER -> {
                changeUser(in.retainedSlice(payload, len));
                return CONSUMED;
            }
            case Command.COM_RESET_CONNECTION -> {
                pendingReset = true;
                return null;
            }
            default -> {
                return null;
            }
        }
    }

    /**
     * COM_STMT_EXECUTE: 0x17, stmt_id<4>, flags<1>, iteration_count<4>, null_bitmap<(n+7)/8>,
     * new_params_bound_flag<1>, [types<2n>], values. A client sends the types once; after a move the
     * new server has never seen them, so Baton sends them on the first execute there.
     */
    private ByteBuf executeWithTypes(SessionState.PreparedStatement ps, int payload, int len) {
        int flagAt = payload + 10 + (ps.params + 7) / 8;
        if (flagAt >= payload + len) {
            return null; // malformed: the server will say so
        }
        int typesLen = 2 * ps.params;
        if (in.getUnsignedByte(flagAt) == 1) {
            if (flagAt + 1 + typesLen <= payload + len) {
                if (ps.types == null || ps.types.length != typesLen) {
                    ps.types = new byte[typesLen]; // drivers send the types with every execute: keep the array
                }
                in.getBytes(flagAt + 1, ps.types);
                ps.typesSent = true;
            }
            return null;
        }
        if (ps.typesSent || ps.types == null) {
            return null;
        }
        int newLen = len + typesLen;
        ByteBuf out = ch.alloc().buffer(Packets.HEADER_SIZE + newLen);
        Packets.writeHeader(out, newLen, 0);
        out.writeBytes(in, payload, flagAt - payload);
        out.writeByte(1);
        out.writeBytes(ps.types);
        out.writeBytes(in, flagAt + 1, payload + len - flagAt - 1);
        ps.typesSent = true;
        return out;
    }

    /**
     * Byte-level prefilter for {@link SessionState#inspect} and KILL: only a statement starting with
     * CR(EATE TEMPORARY), LO(CK), UN(LOCK) or KI(LL), or mentioning _LOCK (GET_LOCK,
     * RELEASE_ALL_LOCKS), can matter. Everything else skips the decoding and the regexes.
     */
    static boolean mayChangeUnmovableState(ByteBuf b, int from, int len) {
        int i = from;
        int end = from + len;
        while (i < end && Character.isWhitespace(b.getByte(i))) {
            i++;
        }
        if (i == end) {
            return false;
        }
        int first = b.getByte(i) | 0x20;
        int second = i + 1 < end ? b.getByte(i + 1) | 0x20 : 0;
        if ((first == 'c' && second == 'r') || (first == 'l' && second == 'o') || (first == 'u' && second == 'n')
                || (first == 'k' && second == 'i')) {
            return true;
        }
        for (int j = i; j + 4 < end; j++) {
            if (b.getByte(j) == '_' && (b.getByte(j + 1) | 0x20) == 'l' && (b.getByte(j + 2) | 0x20) == 'o'
                    && (b.getByte(j + 3) | 0x20) == 'c' && (b.getByte(j + 4) | 0x20) == 'k') {
                return true;
            }
        }
        return false;
    }

    /** KILL [QUERY|CONNECTION] n: n is Baton's connection id; the server knows its own thread id. */
    private ByteBuf killStatement(String kind, long targetId) {
        ClientSession target = server.sessions().get(targetId);
        long thread = target == null ? 0 : target.backendThreadId();
        if (thread == 0) {
            replyErr(MySqlError.of(1094, "Unknown thread id: " + targetId));
            return CONSUMED;
        }
        if (kind == null || kind.equalsIgnoreCase("CONNECTION")) {
            target.killed = true;
            killTarget = target;
        }
        String sql = "KILL " + (kind == null ? "" : kind.toUpperCase(java.util.Locale.ROOT) + " ") + thread;
        ByteBuf out = ch.alloc().buffer(Packets.HEADER_SIZE + 1 + sql.length());
        Packets.writeHeader(out, 1 + sql.length(), 0);
        out.writeByte(Command.COM_QUERY);
        out.writeCharSequence(sql, StandardCharsets.US_ASCII);
        return out;
    }

    /**
     * COM_CHANGE_USER: verified here against Baton's directory (with the connection's scramble, as a
     * server does), then the session gets a fresh backend as the new user: the server-side state is
     * reset exactly as a change of user resets it.
     */
    private void changeUser(ByteBuf payload) {
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
        state.user = auth.account().user();
        state.schema = cu.database() == null || cu.database().isEmpty() ? null : cu.database();
        if (cu.characterSet() > 0) {
            state.characterSet = cu.characterSet();
        }
        seq = 0;
        phase = Phase.CONNECTING;
        openBackend();
        if (old != null) {
            old.close();
        }
    }

    /** Drops the current command packet (what has arrived, and the rest as it arrives). */
    private void skipCommand(int len, int avail) {
        int have = Math.min(avail, Packets.HEADER_SIZE + len);
        in.skipBytes(have);
        clientDiscard = Packets.HEADER_SIZE + len - have;
    }

    // ------------------------------------------------------------------------------ moving between servers

    /**
     * Moves this session's backend to {@code target} (on this session's event loop): a new backend as
     * the same user, the session's state replayed on it, then the old one closed. A session with a
     * statement running moves as soon as its response is complete; one inside a transaction is told
     * at its next statement that the transaction was rolled back; one holding state that cannot move
     * is told why and closed.
     */
    java.util.concurrent.CompletableFuture<Boolean> moveTo(Endpoint target, String why) {
        java.util.concurrent.CompletableFuture<Boolean> f = new java.util.concurrent.CompletableFuture<>();
        ch.eventLoop().execute(() -> {
            if (phase == Phase.CLOSED || phase == Phase.GREETING || phase == Phase.AUTH_SWITCH) {
                f.complete(true);
                return;
            }
            BackendConnection b = backend;
            if (b != null && b.endpoint().equals(target) && b.isReady()) {
                f.complete(true);
                return;
            }
            if (phase == Phase.IN_FLIGHT || phase == Phase.CONNECTING) {
                deferMove(target, f);
                return;
            }
            if (phase == Phase.MIGRATING) {
                abandonMove(); // a pending attempt (e.g. to a server that just died) gives way to the new target
            }
            String unmovable = state.unmovableReason();
            if (unmovable != null) {
                pendingError = MySqlError.ER_ABORTING_CONNECTION.withMessage("Baton closed this session: it could not move to "
                        + target + " (" + why + ") because " + unmovable);
                pendingErrorCloses = true;
                dropBackend();
                server.metrics().migration(false, "unmovable");
                log.info("session {} user '{}' cannot move to {}: {}", id, state.user, target, unmovable);
                f.complete(false);
                return;
            }
            if (state.inTransaction) {
                pendingError = rolledBackByFailover(why);
                state.inTransaction = false;
            }
            startMove(target, f);
        });
        return f;
    }

    private void deferMove(Endpoint target, java.util.concurrent.CompletableFuture<Boolean> f) {
        if (moveDone != null) {
            moveDone.complete(false); // superseded by a newer switch
        }
        moveAfterResponse = target;
        moveDone = f;
    }

    private void abandonMove() {
        moveGeneration++;
        if (moving != null) {
            moving.close();
            moving = null;
        }
        if (movingDone != null) {
            movingDone.complete(false);
            movingDone = null;
        }
    }

    private void startMove(Endpoint target, java.util.concurrent.CompletableFuture<Boolean> f) {
        if (gateWaiter != null) {
            gateWaiter.cancel(); // re-parked after the move if the gate is still closed
            gateWaiter = null;
        }
        phase = Phase.MIGRATING;
        long t0 = System.nanoTime();
        BackendConnection.Login l = backendLogin();
        int generation = ++moveGeneration;
        movingDone = f;
        moving = BackendConnection.open(ch.eventLoop(), target, l, server.settings(), server.backendTls(),
                new SessionReplay(state, r -> moved(r, target, t0, f, generation)));
    }

    private void moved(SessionReplay.Result r, Endpoint target, long t0, java.util.concurrent.CompletableFuture<Boolean> f,
                       int generation) {
        if (generation != moveGeneration) {
            if (r.ok()) {
                r.backend().close(); // a newer move superseded this one
            }
            f.complete(false);
            return;
        }
        moving = null;
        movingDone = null;
        if (phase == Phase.CLOSED) {
            if (r.ok()) {
                r.backend().close();
            }
            f.complete(false);
            return;
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        if (!r.ok()) {
            // Not moved: the session stays open without a backend and tries again at its next statement.
            dropBackend();
            server.metrics().migration(false, "replay");
            log.debug("session {} user '{}' could not move to {} ({} ms): {}", id, state.user, target, ms, r.error().message());
            f.complete(false);
            if (moveAfterResponse != null) {
                phase = Phase.IDLE;
                completeDeferredMove();
                return;
            }
            // Try again shortly (a held statement waits, bounded by gate.maxWait).
            phase = Phase.MIGRATING;
            ch.eventLoop().schedule(() -> {
                if (phase == Phase.MIGRATING && backend == null && moving == null) {
                    phase = Phase.IDLE;
                    processClient();
                }
            }, 100, TimeUnit.MILLISECONDS);
            return;
        }
        BackendConnection old = backend;
        backend = r.backend();
        backend.listener(this);
        if (old != null) {
            old.close(); // COM_QUIT: the old server rolls back whatever the session had open
        }
        releaseServerBuffer();
        phase = Phase.IDLE;
        server.metrics().migration(true, "moved");
        log.debug("session {} user '{}' moved to {} in {} ms ({} statements re-prepared)", id, state.user, target, ms,
                state.statementCount());
        f.complete(true);
        if (moveAfterResponse != null) {
            completeDeferredMove();
            return;
        }
        processClient();
        if (in == null || !in.isReadable()) {
            ch.config().setAutoRead(true);
        }
    }

    /** The next statement needs a backend and there is none (lost with its server): open one on the current source. */
    private void reconnect() {
        long now = System.nanoTime();
        if (reconnectDeadline == 0) {
            reconnectDeadline = now + server.settings().gateMaxWait().toNanos();
        } else if (now > reconnectDeadline) {
            reconnectDeadline = 0;
            int len = Packets.payloadLength(in, in.readerIndex());
            skipCommand(len, in.readableBytes());
            replyErr(MySqlError.of(2003, "Can't connect to MySQL server: Baton could not reach a source ("
                    + server.source() + ") within " + server.settings().gateMaxWait().toMillis()
                    + " ms; the statement was not run"));
            processClient();
            return;
        }
        Endpoint source = server.source();
        java.util.concurrent.CompletableFuture<Boolean> f = new java.util.concurrent.CompletableFuture<>();
        f.thenAccept(ok -> {
            if (ok) {
                reconnectDeadline = 0;
            }
        });
        if (source == null) {
            phase = Phase.MIGRATING; // nothing to route to yet: hold the statement and look again shortly
            ch.eventLoop().schedule(() -> {
                if (phase == Phase.MIGRATING && backend == null && moving == null) {
                    phase = Phase.IDLE;
                    processClient();
                }
            }, 100, TimeUnit.MILLISECONDS);
            return;
        }
        startMove(source, f);
    }

    private void dropBackend() {
        BackendConnection b = backend;
        backend = null;
        releaseServerBuffer();
        if (b != null) {
            b.close();
        }
    }

    private void park() {
        phase = Phase.GATED;
        gateWaiter = server.gate().await(ch.eventLoop(), server.settings().gateMaxWait(), () -> {
            gateWaiter = null;
            if (phase == Phase.GATED) {
                phase = Phase.IDLE;
                processClient();
            }
        }, () -> {
            gateWaiter = null;
            if (phase != Phase.GATED) {
                return;
            }
            phase = Phase.IDLE;
            // The statement was not run: drop it and say why; the client may retry it.
            int len = Packets.payloadLength(in, in.readerIndex());
            int have = Math.min(in.readableBytes(), Packets.HEADER_SIZE + len);
            clientStream = Packets.HEADER_SIZE + len - have;
            in.skipBytes(have);
            replyErr(MySqlError.ER_LOCK_WAIT_TIMEOUT.withMessage("Baton held this statement at its gate for "
                    + server.settings().gateMaxWait().toMillis() + " ms (" + server.gate().reason()
                    + ") and did not run it; retry it"));
            discardStreamedRest();
            processClient();
        });
    }

    /** After refusing a statement whose tail has not arrived yet, the tail is read and dropped. */
    private void discardStreamedRest() {
        if (clientStream > 0 && in != null) {
            int n = Math.min(clientStream, in.readableBytes());
            in.skipBytes(n);
            clientStream -= n;
        }
    }

    // ------------------------------------------------------------------------------ server → client

    @Override
    public void backendRead(BackendConnection b, ByteBuf msg) {
        server.metrics().sent(msg.readableBytes());
        if (b != backend || phase == Phase.CLOSED) {
            msg.release();
            return;
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
                if (phase != Phase.IN_FLIGHT) {
                    // Nothing was asked: e.g. the server's farewell ERR before it closes. The client is
                    // not reading a response now, so it is not told; the close is handled as such.
                    log.debug("session {}: {} unsolicited bytes from {}", id, end - pos, b.endpoint());
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
                    if ((status && len < WHOLE_STATUS_PACKET) || len < STREAM_THRESHOLD) {
                        break;
                    }
                }
                Step step = framer.onPacket(buf, pos + Packets.HEADER_SIZE, len, packetSeq);
                replySeq = (packetSeq + 1) & 0xFF;
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
                    infile = true;
                    lastInfileFrameFull = false;
                    completed = true; // the client's file data may be queued already
                }
            }
            if (pos > start) {
                ch.write(buf.retainedSlice(start, pos - start), ch.voidPromise());
            }
            buf.readerIndex(pos);
        } catch (ProtocolException e) {
            log.warn("session {}: bad response from {} to {}: {}", id, b.endpoint(), Command.name(command), e.getMessage());
            releaseServerBuffer();
            sendErrAndClose(MySqlError.ER_NET_READ_ERROR.withMessage("Baton received a malformed response from "
                    + b.endpoint() + ": " + e.getMessage()), 1);
            return;
        } finally {
            if (srv != null && !srv.isReadable()) {
                srv.release();
                srv = null;
            }
        }
        if (completed) {
            ch.config().setAutoRead(true);
            processClient();
        }
    }

    @Override
    public void backendReadComplete(BackendConnection b) {
        ch.flush();
    }

    /** Looks at a whole server packet; returns a replacement when the client must see other bytes. */
    private ByteBuf onServerPacket(ByteBuf buf, int frame, int len, int packetSeq) {
        PacketKind kind = framer.packetKind();
        int payload = frame + Packets.HEADER_SIZE;
        switch (kind) {
            case PREPARE_OK -> {
                SessionState.PreparedStatement ps = state.prepared(framer.preparedStatementId(), pendingPrepareSql,
                        framer.preparedParamCount(), framer.preparedColumnCount());
                pendingPrepareSql = null;
                buf.setIntLE(payload + 1, ps.clientId); // the client knows Baton's id, stable across servers
                return null;
            }
            case OK, OK_AS_EOF -> {
                if (!framer.lastPacketHasSessionState()) {
                    return null;
                }
                track(OkPacket.decode(buf.slice(payload, len), backend.capabilities()));
                if ((capabilities & Capabilities.CLIENT_SESSION_TRACK) != 0) {
                    return null;
                }
                // The client did not ask for session state: the same OK without it.
                ByteBuf out = ch.alloc().buffer(Packets.HEADER_SIZE + len);
                int h = Packets.reserveHeader(out);
                OkPacket.stripSessionState(buf.slice(payload, len), backend.capabilities(), out);
                Packets.setHeader(out, h, out.writerIndex() - h - Packets.HEADER_SIZE, packetSeq);
                return out;
            }
            case ERR -> {
                if (command == Command.COM_STMT_PREPARE) {
                    pendingPrepareSql = null;
                }
                return null;
            }
            default -> {
                return null;
            }
        }
    }

    private void track(OkPacket ok) {
        for (SessionStateChange c : ok.sessionStateChanges()) {
            if (c instanceof SessionStateChange.Schema s) {
                state.schema = s.name().isEmpty() ? null : s.name();
            } else if (c instanceof SessionStateChange.SystemVariable v) {
                state.variable(v.name(), v.value());
            }
        }
    }

    private void responseComplete() {
        server.metrics().responded(commandStartNanos);
        if (framer.statusFlags() >= 0) {
            state.status(framer.statusFlags());
        }
        if (pendingReset && framer.isSuccess()) {
            state.reset();
        }
        pendingReset = false;
        if (killTarget != null) {
            if (!framer.isSuccess()) {
                killTarget.killed = false; // the server refused the KILL: the target lives on
            }
            killTarget = null;
        }
        if (command == Command.COM_INIT_DB && framer.isSuccess() && !backend.tracksSession()) {
            state.schema = null; // unknown without the tracker; the next OK with a schema sets it
        }
        phase = Phase.IDLE;
        completeDeferredMove();
    }

    // ------------------------------------------------------------------------------ replies, close

    void write(java.util.function.Consumer<ByteBuf> body) {
        ByteBuf out = ch.alloc().buffer();
        int h = Packets.reserveHeader(out);
        body.accept(out);
        Packets.finishFrames(out, h, seq & 0xFF);
        ch.write(out);
    }

    private void write(java.util.function.BiConsumer<ByteBuf, Integer> body, int caps) {
        write(out -> body.accept(out, caps));
    }

    /** An ERR in answer to the current command (sequence id 1). */
    private void replyErr(MySqlError e) {
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
        if (reserved) {
            reserved = false;
            server.sessions().remove(this);
            server.sessions().release();
            server.metrics().closed();
        }
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof IdleStateEvent && phase == Phase.IDLE) {
            // As a server past wait_timeout: ER_CLIENT_INTERACTION_TIMEOUT, then close.
            server.metrics().idleClosed();
            sendErrAndClose(MySqlError.of(4031,
                    "The client was disconnected by the server because of inactivity."), 0);
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
        phase = Phase.CLOSED;
        auth.cancelDeadline();
        if (gateWaiter != null) {
            gateWaiter.cancel();
            gateWaiter = null;
        }
        abandonMove();
        auth.release();
        if (moveDone != null) {
            moveDone.complete(false);
            moveDone = null;
        }
        if (in != null) {
            in.release();
            in = null;
        }
        releaseServerBuffer();
        BackendConnection b = backend;
        backend = null;
        if (b != null) {
            b.close();
        }
        if (reserved) {
            reserved = false;
            server.sessions().remove(this);
            server.sessions().release();
            server.metrics().closed();
            log.debug("session {} user '{}' disconnected after {} commands", id, state.user, commands);
        }
        if (first && ch != null && ch.isOpen()) {
            ch.close();
        }
    }

    private void releaseServerBuffer() {
        if (srv != null) {
            srv.release();
            srv = null;
        }
        serverStream = 0;
    }

    @Override
    public String toString() {
        return "ClientSession[" + id + ", " + state.user + ", " + phase + "]";
    }
}
