package io.baton.proxy;

import io.baton.protocol.Capabilities;
import io.baton.protocol.Command;
import io.baton.protocol.MySqlError;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.auth.AuthPluginNames;
import io.baton.protocol.auth.CachingSha2Password;
import io.baton.protocol.auth.NativePassword;
import io.baton.protocol.auth.RsaPasswordCipher;
import io.baton.protocol.message.AuthMoreData;
import io.baton.protocol.message.AuthSwitchRequest;
import io.baton.protocol.message.ErrPacket;
import io.baton.protocol.message.HandshakeResponse41;
import io.baton.protocol.message.HandshakeV10;
import io.baton.protocol.message.OkPacket;
import io.baton.protocol.message.SslRequest;
import io.baton.proxy.routing.Endpoint;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One backend connection of a client session: opened on the client's event loop, authenticated as
 * the client's user (mysql_native_password, caching_sha2_password fast and full path, AuthSwitch),
 * with the client's negotiated capabilities so result packets pass through verbatim. Once ready it
 * hands every byte it reads to its {@link Listener}; the session owns the command phase.
 *
 * <p>Connection phase: HandshakeV10 → [SSLRequest + TLS] → HandshakeResponse41 → (AuthSwitchRequest
 * | AuthMoreData)* → OK | ERR, then one COM_QUERY turning the server's session tracker on.
 */
final class BackendConnection extends ChannelInboundHandlerAdapter {
    private static final Logger log = LoggerFactory.getLogger(BackendConnection.class);

    /** Capabilities never passed to a backend: per-hop features Baton does not relay. */
    static final int PER_HOP = Capabilities.CLIENT_SSL | Capabilities.CLIENT_COMPRESS
            | Capabilities.CLIENT_ZSTD_COMPRESSION_ALGORITHM | Capabilities.CLIENT_QUERY_ATTRIBUTES
            | Capabilities.CLIENT_OPTIONAL_RESULTSET_METADATA | Capabilities.CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS;

    /** The server's session tracker reports what a move to another server must replay. */
    static final String TRACKING = "SET SESSION session_track_schema=ON, session_track_system_variables='*', "
            + "session_track_state_change=ON";

    /**
     * Who to log in as, and how: with the cleartext password, or (password null) with SHA1(password)
     * recovered from the client's native login, which answers a native challenge only.
     */
    record Login(String user, String password, byte[] nativeStage1, String database, int characterSet,
                 int clientCapabilities, long maxPacketSize, Map<String, String> connectAttributes, long sessionId,
                 boolean trackGtids, boolean readOnly) {
        @Override
        public String toString() {
            return "Login[" + user + ", db=" + database + "]"; // never the password
        }
    }

    interface Listener {
        /** Authenticated and initialized: the command phase may begin. */
        void backendReady(BackendConnection b);

        /** Could not connect or log in; {@code error} is what the client should be told. */
        void backendFailed(BackendConnection b, MySqlError error);

        /** Bytes of the command phase (ownership passes to the listener). */
        void backendRead(BackendConnection b, ByteBuf msg);

        void backendReadComplete(BackendConnection b);

        void backendClosed(BackendConnection b);

        void backendWritabilityChanged(BackendConnection b);
    }

    private enum Phase { CONNECTING, HANDSHAKE, TLS, AUTH, INIT, READY, CLOSED }

    private final Endpoint endpoint;
    private final Login login;
    private final ProxySettings settings;
    private final SslContext tls;
    private Listener listener;
    private Phase phase = Phase.CONNECTING;
    private Channel channel;
    private ByteBuf cum;
    private int capabilities;
    private long threadId;
    private String serverVersion;
    private byte[] scramble;
    private String plugin;
    private int sequence;
    private ScheduledFuture<?> deadline;
    private boolean failed;
    /**
     * After a COM_RESET_CONNECTION, which turns the server's trackers off again: 2 while the reset's answer is
     * still to pass on, 1 while the answer to the tracking query sent behind it is still to be dropped.
     */
    private int afterReset;

    // Pooled connections (BackendPool, BackendLease): touched on the connection's loop only.
    /** What LAST_INSERT_ID() answers on this connection now. */
    long lastInsertId;
    /**
     * Never shared again (closed when its session gives it back): MariaDB, a statement here left warnings or an error,
     * which may outlive the next statements; or a statement closed by its session holds a parameter sent as long data.
     */
    boolean diagnostics;
    /** The session variables its last session had changed when it was parked (names): what a login here resets. */
    java.util.List<String> parkedVariables = java.util.List.of();
    /** When its server login completed (System.nanoTime): a login takes it only within pool.loginReuse of that. */
    long loggedInAt;
    /** Sessions that took this connection from the pool so far: the previous statement's values belong to one use. */
    int uses;
    /** Tells this connection from every other of this process without holding it (a closed one must be freed). */
    final long serial = SERIALS.incrementAndGet();
    private static final java.util.concurrent.atomic.AtomicLong SERIALS = new java.util.concurrent.atomic.AtomicLong();
    /** Prepared statements kept per connection for pooled sessions; past this the least recently used is closed. */
    static final int MAX_STATEMENTS = 128;
    /**
     * Pooled sessions' server-side prepared statements on this connection, by their SQL (least recently used first):
     * the server's id. A pooled session prepares a statement on a connection the first time it runs it there.
     */
    final java.util.LinkedHashMap<String, Integer> statements = new java.util.LinkedHashMap<>(16, 0.75f, true);
    /** Per server statement id: the client's statement whose parameter types the server holds for it now. */
    final java.util.Map<Integer, Object> typesFrom = new java.util.HashMap<>();

    /**
     * The session state key the cached statements were prepared in: a statement's meaning depends on the schema and
     * variables at prepare time, so a connection parked in another state forgets them (BackendPool#park).
     */
    String statementsKey;

    /** Counts the server forgetting every statement of this connection (a reset): a session's own ids before are void. */
    int statementEpoch;

    /**
     * A pooled session's statement was prepared here as {@code id}, in the state {@code key}; an older one of the
     * same SQL is closed, and so are all of another state.
     */
    void prepared(String sql, int id, String key) {
        if (key != null && statementsKey != null && !statementsKey.equals(key)) {
            forgetStatements();
        }
        if (key != null) {
            statementsKey = key;
        }
        Integer old = statements.put(sql, id);
        if (old != null && old != id) {
            closeStatement(old);
        }
        typesFrom.remove(id);
        while (statements.size() > MAX_STATEMENTS) {
            java.util.Iterator<java.util.Map.Entry<String, Integer>> eldest = statements.entrySet().iterator();
            int evicted = eldest.next().getValue();
            eldest.remove();
            closeStatement(evicted);
        }
    }

    /** COM_STMT_CLOSE: 0x19, statement_id<4>; the server answers nothing, so it may go between any two commands. */
    void closeStatement(int id) {
        typesFrom.remove(id);
        if (channel != null && channel.isActive() && phase == Phase.READY) {
            ByteBuf out = channel.alloc().buffer(Packets.HEADER_SIZE + 5);
            Packets.writeHeader(out, 5, 0);
            out.writeByte(Command.COM_STMT_CLOSE);
            out.writeIntLE(id);
            channel.write(out, channel.voidPromise());
        }
    }

    /** The server forgot every prepared statement of this connection (COM_RESET_CONNECTION). */
    void statementsReset() {
        statementEpoch++;
        statements.clear();
        typesFrom.clear();
        statementsKey = null;
        lastInsertId = 0;
    }

    /** Closes the cached statements on the server (the connection changes state: they would mean something else). */
    void forgetStatements() {
        for (int id : statements.values()) {
            closeStatement(id);
        }
        statements.clear();
        typesFrom.clear();
        statementsKey = null;
    }

    private BackendConnection(Endpoint endpoint, Login login, ProxySettings settings, SslContext tls, Listener listener) {
        this.endpoint = endpoint;
        this.login = login;
        this.settings = settings;
        this.tls = tls;
        this.listener = listener;
    }

    /** Opens a backend connection on {@code loop}; the listener hears of readiness or failure, on that loop. */
    static BackendConnection open(EventLoop loop, Endpoint endpoint, Login login, ProxySettings settings, SslContext tls,
                                  Listener listener) {
        BackendConnection b = new BackendConnection(endpoint, login, settings, tls, listener);
        int timeoutMillis = (int) Math.min(Integer.MAX_VALUE, settings.backendConnectTimeout().toMillis());
        b.deadline = loop.schedule(() -> b.fail(MySqlError.of(2013, "Lost connection to MySQL server at '"
                + endpoint.address() + "': the backend did not complete the login within " + timeoutMillis + " ms"), null),
                timeoutMillis, TimeUnit.MILLISECONDS);
        ChannelFuture f = new Bootstrap().group(loop).channel(Transport.socketChannel())
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, timeoutMillis)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.SO_KEEPALIVE, true)
                .handler(b)
                .connect(endpoint.host(), endpoint.port());
        b.channel = f.channel();
        f.addListener(done -> {
            if (!done.isSuccess()) {
                b.fail(MySqlError.of(2003, "Can't connect to MySQL server on '" + endpoint.address() + "' ("
                        + done.cause().getMessage() + ")"), null);
            } else {
                b.phase = Phase.HANDSHAKE;
            }
        });
        return b;
    }

    Channel channel() {
        return channel;
    }

    /** COM_QUERY: 0x03, the statement's text; one packet (Baton's own short statements), sequence id 0. */
    ByteBuf queryPacket(String text) {
        byte[] sql = text.getBytes(StandardCharsets.UTF_8);
        ByteBuf out = channel.alloc().buffer(Packets.HEADER_SIZE + 1 + sql.length);
        int h = Packets.reserveHeader(out);
        out.writeByte(Command.COM_QUERY);
        out.writeBytes(sql);
        Packets.finishFrames(out, h, 0);
        return out;
    }

    /** Hands a ready connection to another listener (after a session's state has been replayed on it). */
    void listener(Listener l) {
        this.listener = l;
    }

    Endpoint endpoint() {
        return endpoint;
    }

    /** The server's connection (thread) id, for KILL. */
    long threadId() {
        return threadId;
    }

    String serverVersion() {
        return serverVersion;
    }

    /** Capabilities negotiated with the server (the response format of this connection). */
    int capabilities() {
        return capabilities;
    }

    boolean isReady() {
        return phase == Phase.READY;
    }

    /**
     * The session trackers Baton turns on. With {@code gtids} (durability.mode replica) each commit's OK also
     * names its GTID: session_track_gtids=OWN_GTID on MySQL; MariaDB has no such tracker, its last_gtid
     * variable comes with session_track_system_variables='*'.
     */
    static String tracking(boolean gtids, boolean mariaDb) {
        return gtids && !mariaDb ? TRACKING + ", session_track_gtids=OWN_GTID" : TRACKING;
    }

    /**
     * As {@link #tracking(boolean, boolean)}; a read-port session's backend is also read-only for the session
     * (transaction_read_only; MariaDB before 11.1 knows it as tx_read_only), so a write fails there even on the
     * source that serves reads when no replica may.
     */
    static String tracking(boolean gtids, boolean mariaDb, boolean readOnly) {
        String t = tracking(gtids, mariaDb);
        return readOnly ? t + (mariaDb ? ", tx_read_only=1" : ", transaction_read_only=ON") : t;
    }

    /** Whether it serves a read-port session: read-only for the session (transaction_read_only). */
    boolean readOnly() {
        return login.readOnly();
    }

    boolean isMariaDb() {
        return serverVersion != null && serverVersion.contains("MariaDB");
    }

    boolean tracksSession() {
        return (capabilities & Capabilities.CLIENT_SESSION_TRACK) != 0;
    }

    void close() {
        Phase was = phase;
        phase = Phase.CLOSED;
        cancelDeadline();
        release();
        if (channel != null && channel.isOpen()) {
            if (was == Phase.READY) {
                // COM_QUIT: the server ends the session cleanly instead of logging an aborted connection.
                ByteBuf quit = channel.alloc().buffer(5);
                Packets.writeHeader(quit, 1, 0);
                quit.writeByte(0x01);
                // The server closes the socket as its thread ends: the channel (and a pool slot with it) is done when
                // the server has let the session go (it lists the thread a moment longer: docs/pool.md).
                channel.writeAndFlush(quit).addListener(f -> {
                    if (!f.isSuccess()) {
                        channel.close();
                    }
                });
                channel.eventLoop().schedule(() -> channel.close(), 1, TimeUnit.SECONDS); // a peer that takes nothing
            } else {
                channel.close();
            }
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf buf = (ByteBuf) msg;
        if (phase == Phase.READY) {
            if (afterReset > 0) {
                buf = afterReset(ctx, buf);
                if (buf == null) {
                    return;
                }
            }
            listener.backendRead(this, buf);
            return;
        }
        if (phase == Phase.CLOSED) {
            buf.release();
            return;
        }
        cum = cum == null ? buf : append(ctx.alloc(), cum, buf);
        try {
            while (phase != Phase.READY && phase != Phase.CLOSED && cum != null) {
                int frame = Packets.completeFrameLength(cum, cum.readerIndex(), Packets.MAX_PAYLOAD);
                if (frame < 0) {
                    break;
                }
                int seq = Packets.sequenceId(cum, cum.readerIndex());
                ByteBuf payload = cum.retainedSlice(cum.readerIndex() + Packets.HEADER_SIZE, frame - Packets.HEADER_SIZE);
                cum.skipBytes(frame);
                try {
                    onConnectionPacket(payload, seq);
                } finally {
                    payload.release();
                }
            }
            if (phase == Phase.READY && cum != null && cum.isReadable()) {
                ByteBuf rest = cum;
                cum = null;
                listener.backendRead(this, rest); // bytes after the init OK belong to the command phase
            }
        } catch (ProtocolException e) {
            fail(e.error(), e);
        } catch (RuntimeException e) {
            fail(MySqlError.ER_HANDSHAKE_ERROR.withMessage("Bad handshake from the backend " + endpoint.address()
                    + ": " + e.getMessage()), e);
        } finally {
            if (cum != null && !cum.isReadable()) {
                cum.release();
                cum = null;
            }
        }
    }

    /**
     * COM_RESET_CONNECTION was just written: the server resets the session's variables, the trackers Baton turned
     * on among them. The tracking query goes right behind it (its own command, sequence id 0); its answer is
     * dropped here, so the session sees the reset's answer alone. (Both answers are one OK or ERR packet.)
     */
    void retrackAfterReset() {
        if (!tracksSession() || phase != Phase.READY) {
            return;
        }
        byte[] q = tracking(login.trackGtids(), isMariaDb(), login.readOnly()).getBytes(StandardCharsets.US_ASCII);
        ByteBuf out = channel.alloc().buffer(Packets.HEADER_SIZE + 1 + q.length);
        Packets.writeHeader(out, 1 + q.length, 0);
        out.writeByte(0x03); // COM_QUERY
        out.writeBytes(q);
        channel.write(out, channel.voidPromise());
        afterReset = 2;
    }

    /** Passes the reset's answer on and drops the tracking query's; returns what follows them, or null. */
    private ByteBuf afterReset(ChannelHandlerContext ctx, ByteBuf buf) {
        cum = cum == null ? buf : append(ctx.alloc(), cum, buf);
        while (afterReset > 0) {
            int frame = Packets.completeFrameLength(cum, cum.readerIndex(), Packets.MAX_PAYLOAD);
            if (frame < 0) {
                return null;
            }
            if (afterReset == 2) {
                ByteBuf answer = cum.retainedSlice(cum.readerIndex(), frame);
                cum.skipBytes(frame);
                afterReset = 1;
                listener.backendRead(this, answer);
                if (phase != Phase.READY) {
                    return null; // the session closed on it
                }
            } else {
                if (frame > Packets.HEADER_SIZE && cum.getUnsignedByte(cum.readerIndex() + Packets.HEADER_SIZE) == 0xFF) {
                    log.warn("backend {}: turning session tracking on again after COM_RESET_CONNECTION failed", endpoint);
                }
                cum.skipBytes(frame);
                afterReset = 0;
            }
        }
        ByteBuf rest = cum;
        cum = null;
        if (rest.isReadable()) {
            return rest;
        }
        rest.release();
        return null;
    }

    private void onConnectionPacket(ByteBuf p, int seq) {
        sequence = seq;
        switch (phase) {
            case HANDSHAKE -> onHandshake(p);
            case AUTH -> onAuth(p);
            case INIT -> onInitResponse(p);
            default -> throw ProtocolException.malformed("unexpected packet in phase " + phase);
        }
    }

    private void onHandshake(ByteBuf p) {
        if (p.isReadable() && p.getUnsignedByte(p.readerIndex()) == 0xFF) {
            ErrPacket err = ErrPacket.decode(p, 0);
            fail(err.toError(), null);
            return;
        }
        HandshakeV10 hs = HandshakeV10.decode(p);
        serverVersion = hs.serverVersion();
        threadId = hs.connectionId();
        scramble = hs.authPluginData();
        plugin = hs.authPluginName() == null ? AuthPluginNames.MYSQL_NATIVE_PASSWORD : hs.authPluginName();
        int server = hs.capabilities();
        int wanted = (login.clientCapabilities() & ~PER_HOP)
                | Capabilities.CLIENT_PROTOCOL_41 | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_PLUGIN_AUTH
                | Capabilities.CLIENT_TRANSACTIONS | Capabilities.CLIENT_SESSION_TRACK
                | Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA | Capabilities.CLIENT_CONNECT_ATTRS
                | Capabilities.CLIENT_LONG_PASSWORD;
        if (login.database() != null && !login.database().isEmpty()) {
            wanted |= Capabilities.CLIENT_CONNECT_WITH_DB;
        } else {
            wanted &= ~Capabilities.CLIENT_CONNECT_WITH_DB;
        }
        capabilities = wanted & server;
        if (settings.backendTls() && tls != null && (server & Capabilities.CLIENT_SSL) != 0) {
            capabilities |= Capabilities.CLIENT_SSL;
            ByteBuf out = channel.alloc().buffer();
            int h = Packets.reserveHeader(out);
            new SslRequest(capabilities, login.maxPacketSize(), login.characterSet(), 0).encode(out);
            Packets.finishFrames(out, h, ++sequence);
            channel.writeAndFlush(out);
            SslHandler ssl = tls.newHandler(channel.alloc(), endpoint.host(), endpoint.port());
            channel.pipeline().addFirst("tls", ssl);
            phase = Phase.TLS;
            ssl.handshakeFuture().addListener(f -> {
                if (!f.isSuccess()) {
                    fail(MySqlError.of(2026, "SSL connection error with " + endpoint.address() + ": " + f.cause().getMessage()), null);
                } else {
                    phase = Phase.AUTH;
                    sendHandshakeResponse();
                }
            });
            return;
        }
        phase = Phase.AUTH;
        sendHandshakeResponse();
    }

    private void sendHandshakeResponse() {
        Map<String, String> attrs = new LinkedHashMap<>(login.connectAttributes() == null ? Map.of() : login.connectAttributes());
        attrs.put("_baton_session", Long.toString(login.sessionId()));
        if (login.password() == null && login.nativeStage1() != null) {
            plugin = AuthPluginNames.MYSQL_NATIVE_PASSWORD; // all it can answer; the greeting's nonce serves both plugins
        }
        HandshakeResponse41 r = new HandshakeResponse41(capabilities, login.maxPacketSize(), login.characterSet(), 0,
                login.user(), authResponse(plugin, scramble),
                (capabilities & Capabilities.CLIENT_CONNECT_WITH_DB) != 0 ? login.database() : null,
                plugin, attrs, 0);
        send(r::encode);
    }

    private byte[] authResponse(String pluginName, byte[] seed) {
        String pw = login.password();
        if (pw == null && login.nativeStage1() != null) {
            if (AuthPluginNames.MYSQL_NATIVE_PASSWORD.equals(pluginName)) {
                return NativePassword.scrambleWithStage1Hash(login.nativeStage1(), seed);
            }
            throw passwordNeeded(pluginName);
        }
        if (pw == null || pw.isEmpty()) {
            return new byte[0];
        }
        return switch (pluginName) {
            case AuthPluginNames.MYSQL_NATIVE_PASSWORD -> NativePassword.scramble(pw, seed);
            case AuthPluginNames.CACHING_SHA2_PASSWORD -> CachingSha2Password.scramble(pw, seed);
            // Cleartext only inside TLS; the server then switches to a plugin we speak, or refuses.
            default -> isTls() ? cleartext(pw) : new byte[0];
        };
    }

    /** Only SHA1(password) is known (a native hash in the config) and the server wants more. */
    private ProtocolException passwordNeeded(String pluginName) {
        return new ProtocolException(MySqlError.ER_ACCESS_DENIED_ERROR.withMessage("Baton cannot log in to "
                + endpoint.address() + " as '" + login.user() + "': the server asks for " + pluginName
                + " and Baton knows only the mysql_native_password hash of this user (configure users[].password,"
                + " or use mysql_native_password for this account on every server)"));
    }

    private static byte[] cleartext(String pw) {
        byte[] b = pw.getBytes(StandardCharsets.UTF_8);
        byte[] out = new byte[b.length + 1];
        System.arraycopy(b, 0, out, 0, b.length);
        return out;
    }

    private boolean isTls() {
        return channel.pipeline().get(SslHandler.class) != null;
    }

    private void onAuth(ByteBuf p) {
        int first = p.isReadable() ? p.getUnsignedByte(p.readerIndex()) : -1;
        switch (first) {
            case 0x00 -> {
                startInit();
            }
            case 0xFF -> fail(ErrPacket.decode(p, capabilities).toError(), null);
            case 0xFE -> {
                AuthSwitchRequest sw = AuthSwitchRequest.decode(p);
                plugin = sw.pluginName();
                scramble = sw.scramble();
                byte[] resp = authResponse(plugin, scramble);
                sendRaw(resp);
            }
            case 0x01 -> onAuthMoreData(AuthMoreData.decode(p));
            default -> throw ProtocolException.malformed("unexpected packet 0x" + Integer.toHexString(first) + " during login");
        }
    }

    /** caching_sha2_password: 0x03 fast path done; 0x04 full authentication; or the server's public key. */
    private void onAuthMoreData(AuthMoreData more) {
        byte[] data = more.data();
        if (AuthPluginNames.CACHING_SHA2_PASSWORD.equals(plugin) && data.length == 1) {
            if (data[0] == CachingSha2Password.FAST_AUTH_SUCCESS) {
                return; // the OK follows
            }
            if (data[0] == CachingSha2Password.PERFORM_FULL_AUTHENTICATION) {
                if (login.password() == null) {
                    throw passwordNeeded(plugin);
                }
                if (isTls()) {
                    sendRaw(cleartext(login.password()));
                } else {
                    sendRaw(new byte[] {CachingSha2Password.REQUEST_PUBLIC_KEY});
                }
                return;
            }
        }
        // The server's RSA public key (PEM), after our request: send the password encrypted with it.
        String pem = new String(data, StandardCharsets.US_ASCII);
        if (!pem.contains("BEGIN PUBLIC KEY")) {
            throw ProtocolException.malformed("unexpected AuthMoreData during login");
        }
        sendRaw(RsaPasswordCipher.encrypt(login.password().getBytes(StandardCharsets.UTF_8), scramble, pem));
    }

    private void startInit() {
        if (!tracksSession()) {
            ready();
            return;
        }
        phase = Phase.INIT;
        sequence = -1;
        byte[] q = tracking(login.trackGtids(), isMariaDb(), login.readOnly()).getBytes(StandardCharsets.US_ASCII);
        send(out -> {
            out.writeByte(0x03); // COM_QUERY
            out.writeBytes(q);
        });
    }

    private void onInitResponse(ByteBuf p) {
        int first = p.isReadable() ? p.getUnsignedByte(p.readerIndex()) : -1;
        if (first == 0xFF) {
            // A server without some tracker: go on without it (migration then relies on statement inspection).
            log.debug("backend {} refused session tracking: {}", endpoint, ErrPacket.decode(p, capabilities).message());
            capabilities &= ~Capabilities.CLIENT_SESSION_TRACK;
        } else if (first != 0x00) {
            throw ProtocolException.malformed("unexpected answer to the session-tracking query");
        } else {
            OkPacket.decode(p, capabilities); // validates; the tracked values are the defaults
        }
        ready();
    }

    private void ready() {
        cancelDeadline();
        loggedInAt = System.nanoTime();
        phase = Phase.READY;
        listener.backendReady(this);
    }

    private void send(java.util.function.Consumer<ByteBuf> body) {
        ByteBuf out = channel.alloc().buffer();
        int h = Packets.reserveHeader(out);
        body.accept(out);
        Packets.finishFrames(out, h, ++sequence & 0xFF);
        channel.writeAndFlush(out);
    }

    private void sendRaw(byte[] payload) {
        send(out -> out.writeBytes(payload));
    }

    private void fail(MySqlError error, Throwable cause) {
        if (failed || phase == Phase.READY || phase == Phase.CLOSED) {
            return;
        }
        failed = true;
        if (cause != null) {
            log.debug("backend {} for {} failed: {}", endpoint, login, error, cause);
        }
        phase = Phase.CLOSED;
        cancelDeadline();
        release();
        if (channel != null) {
            channel.close();
        }
        listener.backendFailed(this, error);
    }

    private void cancelDeadline() {
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
    }

    private void release() {
        if (cum != null) {
            cum.release();
            cum = null;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        if (phase == Phase.READY) {
            listener.backendReadComplete(this);
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        if (phase == Phase.READY) {
            listener.backendWritabilityChanged(this);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        release();
        if (phase == Phase.READY) {
            phase = Phase.CLOSED;
            listener.backendClosed(this);
        } else if (phase != Phase.CLOSED) {
            fail(MySqlError.of(2013, "Lost connection to MySQL server at '" + endpoint.address() + "' during login"), null);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("backend {} error: {}", endpoint, cause.toString());
        ctx.close();
    }

    /**
     * {@code in} added after {@code cum}'s readable bytes (both are taken over): in place while {@code cum} has room,
     * else into a buffer grown geometrically (what was consumed is dropped first). A 32 MiB packet read in 64 KiB pieces
     * is copied a few times, not once per piece (8 GiB of copying, which held the event loop for seconds: past the
     * server's connect_timeout for a connection opened meanwhile).
     */
    static ByteBuf append(io.netty.buffer.ByteBufAllocator alloc, ByteBuf cum, ByteBuf in) {
        if (cum.refCnt() == 1 && cum.unwrap() == null && cum.readerIndex() > 0
                && in.readableBytes() > cum.maxFastWritableBytes()) {
            // Room from the bytes already consumed first: a retained view of them would count in refCnt (callers keep
            // no unretained view across reads); a derived buffer (a slice) shares memory its refCnt does not count.
            cum.discardReadBytes();
        }
        return io.netty.handler.codec.ByteToMessageDecoder.MERGE_CUMULATOR.cumulate(alloc, cum, in);
    }
}
