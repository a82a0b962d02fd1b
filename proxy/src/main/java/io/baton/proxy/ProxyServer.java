package io.baton.proxy;

import io.baton.protocol.Capabilities;
import io.baton.protocol.auth.AuthPluginNames;
import io.baton.protocol.auth.RsaPasswordCipher;
import io.baton.protocol.message.HandshakeV10;
import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.timeout.IdleStateHandler;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The proxy: listens for MySQL clients, gives each a {@link ClientSession}, and routes their
 * backends to the current source. The rest of Baton drives it through {@link RoutingControl}.
 */
public final class ProxyServer implements RoutingControl, AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ProxyServer.class);
    private static final String FALLBACK_VERSION = "8.0.31";
    private static final String IDLE_HANDLER = "idle";

    /** Swapped whole by {@link #updateLimits}; sessions read it each time they use a limit. */
    private volatile ProxySettings settings;
    private final UserDirectory users;
    private final SessionRegistry sessions = new SessionRegistry();
    private final Gate gate = new Gate();
    private volatile CommitAcks commitAcks;
    private final WriteMarks writeMarks = new WriteMarks();
    private final ProxyMetrics metrics;
    private final SslContext clientTls;
    private final SslContext backendTls;
    private volatile RsaKeys rsaKeys;
    /**
     * Where caching_sha2 full-path passwords are checked (RSA decryption, SHA-256 crypt): off the event
     * loops, at most two at once, a bounded queue; beyond it a login gets ERR 1040.
     */
    private final java.util.concurrent.ThreadPoolExecutor passwordChecks = new java.util.concurrent.ThreadPoolExecutor(
            2, 2, 30, TimeUnit.SECONDS, new java.util.concurrent.ArrayBlockingQueue<>(256), r -> {
                Thread t = new Thread(r, "baton-password-check");
                t.setDaemon(true);
                return t;
            });
    private final AtomicReference<Endpoint> source = new AtomicReference<>();
    private volatile Greeting greeting = new Greeting(FALLBACK_VERSION + "-baton", AuthPluginNames.CACHING_SHA2_PASSWORD,
            Capabilities.CLIENT_SESSION_TRACK | Capabilities.CLIENT_DEPRECATE_EOF, 255);
    private EventLoopGroup boss;
    private EventLoopGroup workers;
    private Channel listener;
    /** The read-only port's listener (reads.port), or null. */
    private Channel readListener;
    private final ReadPool readPool = new ReadPool(this);
    /** The read-write port's server connections, shared by its sessions (docs/pool.md). */
    private final BackendPool pool = new BackendPool(this);
    private final SharedAttributes sharedAttributes = new SharedAttributes();

    /** What clients are greeted with, mirrored from the source. */
    private record Greeting(String version, String plugin, int capabilityExtras, int characterSet) {
    }

    public ProxyServer(ProxySettings settings, UserDirectory users, Endpoint initialSource, SslContext clientTls,
                       MeterRegistry meters) {
        this.settings = settings;
        this.users = users;
        this.clientTls = clientTls;
        this.backendTls = settings.backendTls() ? TlsContexts.backend() : null;
        // Made before any client arrives when an account needs it, so no event loop waits for the key.
        this.rsaKeys = users.anyNeedsFullAuthentication() ? RsaKeys.generate() : null;
        passwordChecks.allowCoreThreadTimeOut(true);
        this.metrics = new ProxyMetrics(meters == null ? new SimpleMeterRegistry() : meters, sessions, gate);
        metrics.pool(pool, sessions);
        this.source.set(initialSource);
    }

    /** Binds the listen port. The first source is probed so clients see its version and auth plugin. */
    public ProxyServer start() throws InterruptedException {
        Endpoint s = source.get();
        if (s != null) {
            probe(s);
        }
        int threads = settings.effectiveIoThreads();
        boss = Transport.group(1, "baton-accept");
        workers = Transport.group(threads, "baton-io");
        ServerBootstrap b = new ServerBootstrap().group(boss, workers).channel(Transport.serverChannel())
                .option(ChannelOption.SO_BACKLOG, 4096)
                .option(ChannelOption.SO_REUSEADDR, true)
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.SO_KEEPALIVE, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(64 * 1024, 256 * 1024))
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        // Reads only, like wait_timeout (time since the client last sent anything); watching
                        // writes too would attach a listener to every write on the hot path.
                        ch.pipeline().addLast(IDLE_HANDLER, idleHandler(settings.idleTimeout()));
                        ch.pipeline().addLast("session", new ClientSession(ProxyServer.this, sessions.nextId()));
                    }
                });
        try {
            listener = b.bind(settings.host(), settings.port()).sync().channel();
        } catch (Exception e) {
            close();
            throw new IllegalStateException("cannot listen on " + settings.host() + ":" + settings.port() + ": "
                    + e.getMessage() + " (is another process using the port? choose another with --port)", e);
        }
        log.info("Baton proxy listening on {} ({} I/O threads, {}), routing to {}", listener.localAddress(), threads,
                Transport.EPOLL ? "epoll" : "nio", s == null ? "nothing yet" : s);
        if (settings.reads().enabled()) {
            // The same session machinery on a second port: its sessions are read-only and served by replicas.
            ServerBootstrap rb = b.clone().childHandler(new ChannelInitializer<SocketChannel>() {
                @Override
                protected void initChannel(SocketChannel ch) {
                    ch.pipeline().addLast(IDLE_HANDLER, idleHandler(settings.idleTimeout()));
                    ch.pipeline().addLast("session", new ClientSession(ProxyServer.this, sessions.nextId(), true));
                }
            });
            int rp = settings.reads().port();
            try {
                readListener = rb.bind(settings.host(), rp).sync().channel();
            } catch (Exception e) {
                close();
                throw new IllegalStateException("cannot listen on " + settings.host() + ":" + rp + " (the read port): "
                        + e.getMessage() + " (is another process using the port? choose another with --read-port)", e);
            }
            log.info("Baton read-only port listening on {}: sessions there are served by replicas within {} ms of the"
                    + " source ({} consistency; no replica: {})", readListener.localAddress(),
                    settings.reads().maxLag().toMillis(), settings.reads().consistency().label(),
                    settings.reads().fallbackToSource() ? "the source" : "an error");
        }
        return this;
    }

    /** The bound read-only port, or 0 when there is none. */
    public int readPort() {
        return readListener == null ? 0 : ((InetSocketAddress) readListener.localAddress()).getPort();
    }

    /** The replicas the read port routes to; admin keeps it up to date. */
    public ReadPool readPool() {
        return readPool;
    }

    /** The GTIDs of acknowledged writes, per user and in all, for the causal read levels. */
    WriteMarks writeMarks() {
        return writeMarks;
    }

    /** Whether backends tell each commit's GTID: for durability.mode replica, or for causal reads. */
    boolean tracksCommitGtids() {
        return commitAcks != null || settings.reads().tracksWrites();
    }

    /**
     * Where a session's backend goes now: the source, or for a read session an eligible replica (reads.fallback
     * source: the source when none is). Null when there is nowhere to go; {@link #noRouteFor} says why.
     */
    Endpoint routeFor(ClientSession s) {
        if (!s.readOnly() || s.causal.toSource()) {
            return source.get();
        }
        Endpoint r = readPool.route(s);
        if (r == null && settings.reads().fallbackToSource()) {
            metrics.readFallback();
            return source.get();
        }
        return r;
    }

    /** Why {@link #routeFor} found nowhere for a read session (reads.fallback error), as the client is told. */
    String noRouteFor(ClientSession s) {
        return s.readOnly() && !settings.reads().fallbackToSource() ? readPool.noneEligible() : null;
    }

    /** The bound port (useful when configured as 0). */
    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    private void probe(Endpoint e) {
        try {
            HandshakeV10 hs = SourceProbe.greeting(e, (int) settings.backendConnectTimeout().toMillis());
            int extras = hs.capabilities() & (Capabilities.CLIENT_SESSION_TRACK | Capabilities.CLIENT_DEPRECATE_EOF);
            String plugin = AuthPluginNames.CACHING_SHA2_PASSWORD.equals(hs.authPluginName())
                    ? AuthPluginNames.CACHING_SHA2_PASSWORD : AuthPluginNames.MYSQL_NATIVE_PASSWORD;
            greeting = new Greeting(hs.serverVersion() + "-baton", plugin, extras, hs.characterSet());
        } catch (IOException | RuntimeException ex) {
            log.warn("could not read the greeting of {} ({}); greeting clients as {}", e, ex.getMessage(), greeting.version());
        }
    }

    private static IdleStateHandler idleHandler(Duration idleTimeout) {
        return new IdleStateHandler(idleTimeout.toMillis(), 0, 0, TimeUnit.MILLISECONDS);
    }

    /**
     * On the channel's event loop: replaces its idle handler if limits.idleTimeout differs from the one
     * it has (a session set up just before a change, or any open session after one). Idleness then
     * counts from now.
     */
    void installIdleTimeout(Channel ch) {
        installIdleTimeout(ch, 0);
    }

    /**
     * As {@link #installIdleTimeout(Channel)}, with the session's own {@code wait_timeout} when it set one
     * ({@code sessionMillis} > 0): the shorter of the two applies, as a server applies the session's.
     */
    void installIdleTimeout(Channel ch, long sessionMillis) {
        IdleStateHandler h = (IdleStateHandler) ch.pipeline().get(IDLE_HANDLER);
        long want = settings.idleTimeout().toMillis();
        if (sessionMillis > 0) {
            want = Math.min(want, sessionMillis);
        }
        if (h != null && h.getReaderIdleTimeInMillis() != want) {
            ch.pipeline().replace(IDLE_HANDLER, IDLE_HANDLER, idleHandler(Duration.ofMillis(want)));
        }
    }

    /**
     * Changes the limits of the running proxy (the console's SET): max connections, max packet size,
     * idle timeout, login timeout, backend connect timeout and the gate's longest wait. Sessions read
     * them each time they apply one; a changed idle timeout is installed in every open session, which
     * counts its idleness from the change. Listen address, I/O threads and backend TLS are fixed at
     * start and must stay as they are.
     */
    public void updateLimits(ProxySettings next) {
        ProxySettings now = settings;
        if (!now.host().equals(next.host()) || now.port() != next.port() || now.ioThreads() != next.ioThreads()
                || now.backendTls() != next.backendTls() || now.reads().port() != next.reads().port()) {
            throw new IllegalArgumentException("listen address, read port, I/O threads and backend TLS are fixed when"
                    + " the proxy starts");
        }
        settings = next;
        if (!now.idleTimeout().equals(next.idleTimeout())) {
            for (ClientSession s : sessions.all()) {
                Channel ch = s.channel();
                if (ch != null && ch.isActive()) {
                    ch.eventLoop().execute(() -> installIdleTimeout(ch, s.sessionWaitMillis()));
                }
            }
        }
        log.info("proxy limits now: maxConnections {}, maxPacketBytes {}, idleTimeout {} ms, connectTimeout {} ms,"
                + " backendConnectTimeout {} ms, gate maxWait {} ms", next.maxConnections(), next.maxPacketBytes(),
                next.idleTimeout().toMillis(), next.connectTimeout().toMillis(), next.backendConnectTimeout().toMillis(),
                next.gateMaxWait().toMillis());
    }

    // ----------------------------------------------------------------------------- for sessions

    /** The limits in force now. */
    public ProxySettings settings() {
        return settings;
    }

    SharedAttributes sharedAttributes() {
        return sharedAttributes;
    }

    UserDirectory users() {
        return users;
    }

    public SessionRegistry sessions() {
        return sessions;
    }

    /** durability.mode replica: where held commit OKs wait for replicas; null (async) releases them at once. */
    public CommitAcks commitAcks() {
        return commitAcks;
    }

    /** Set before the proxy starts; sessions opened after a change use the new value. */
    public void commitAcks(CommitAcks acks) {
        this.commitAcks = acks;
    }

    private volatile Runnable sourceLost = () -> { };

    /** Statements in flight at a lost server, per server name and fate, until a failover report takes them. */
    private final java.util.concurrent.ConcurrentHashMap<String, java.util.concurrent.ConcurrentHashMap<String,
            java.util.concurrent.atomic.LongAdder>> inFlightLost = new java.util.concurrent.ConcurrentHashMap<>();

    /** Per lost server, one line per session that met it (at most {@link #SESSION_LINES}), until a report takes them. */
    private final java.util.concurrent.ConcurrentHashMap<String, List<String>> sessionsLost =
            new java.util.concurrent.ConcurrentHashMap<>();
    static final int SESSION_LINES = 1000;
    private static final java.util.Map<String, String> SESSION_TEXT = java.util.Map.of(
            "rerun", "a read in flight, answered from the new source",
            "rolled_back", "a statement in flight, rolled back with its transaction (ERR 1213)",
            "rolled_back_as_asked", "a ROLLBACK in flight, answered OK",
            "unknown", "a statement in flight with an unknown outcome (ERR 1317)",
            "replayed", "a statement in flight, run again after its transaction's replay",
            "not_rerun", "a read in flight that had lost its server before, not run again (ERR 1317)",
            "replay_replayed", "its open transaction replayed on the new source",
            "replay_different", "its open transaction answered differently there (ERR 1213)",
            "replay_refused", "its open transaction not replayable (ERR 1213)",
            "replay_failed", "its open transaction's replay failed (ERR 1213)");

    void inFlightLost(ClientSession s, Endpoint server, InFlight.Fate fate) {
        metrics.inFlight(fate);
        String key = fate.name().toLowerCase(java.util.Locale.ROOT);
        inFlightLost.computeIfAbsent(server.name(), k -> new java.util.concurrent.ConcurrentHashMap<>())
                .computeIfAbsent(key, k -> new java.util.concurrent.atomic.LongAdder())
                .increment();
        sessionLine(server.name(), s, key);
    }

    private void sessionLine(String server, ClientSession s, String key) {
        List<String> lines = sessionsLost.computeIfAbsent(server, k -> java.util.Collections.synchronizedList(new ArrayList<>()));
        synchronized (lines) {
            if (lines.size() < SESSION_LINES) {
                lines.add("session " + s.id() + " user '" + s.state().user + "': " + SESSION_TEXT.getOrDefault(key, key));
            }
        }
    }

    @Override
    public List<String> sessionsLostAt(String server) {
        List<String> lines = sessionsLost.remove(server);
        if (lines == null) {
            return List.of();
        }
        synchronized (lines) {
            return List.copyOf(lines);
        }
    }

    /**
     * A transaction open at a lost server (or one the session left) ended its replay: {@code result} replayed,
     * different, failed (gave up after replay.attempts) or refused (not tried); counted for the failover report too.
     */
    void replayOutcome(ClientSession s, String lostServer, String result, long bytes) {
        metrics.replay(result, bytes);
        if (lostServer != null) {
            inFlightLost.computeIfAbsent(lostServer, k -> new java.util.concurrent.ConcurrentHashMap<>())
                    .computeIfAbsent("replay_" + result, k -> new java.util.concurrent.atomic.LongAdder())
                    .increment();
            sessionLine(lostServer, s, "replay_" + result);
        }
    }

    @Override
    public java.util.Map<String, Long> inFlightLostAt(String server) {
        var m = inFlightLost.remove(server);
        java.util.Map<String, Long> out = new java.util.TreeMap<>();
        if (m != null) {
            m.forEach((fate, n) -> out.put(fate, n.sum()));
        }
        return out;
    }

    /**
     * Told (on an event loop: must not block) when a connection to the routed source ends unasked or is refused:
     * the monitor then checks at once instead of at its next round.
     */
    public void onSourceConnectionLost(Runnable r) {
        this.sourceLost = r;
    }

    /** A session's connection to {@code endpoint} ended unasked or could not be opened. */
    void backendLost(Endpoint endpoint) {
        if (endpoint.equals(source())) {
            try {
                sourceLost.run();
            } catch (RuntimeException e) {
                log.debug("source-lost listener failed: {}", e.toString());
            }
        }
    }

    public Gate gate() {
        return gate;
    }

    public ProxyMetrics metrics() {
        return metrics;
    }

    SslContext clientTls() {
        return clientTls;
    }

    java.util.concurrent.Executor passwordChecks() {
        return passwordChecks;
    }

    /** PEM of the public key clients encrypt their password with on caching_sha2's full path. */
    String rsaPublicKeyPem() {
        return rsa().publicPem();
    }

    java.security.PrivateKey rsaPrivateKey() {
        return rsa().keys().getPrivate();
    }

    private RsaKeys rsa() {
        RsaKeys k = rsaKeys;
        if (k == null) {
            synchronized (this) {
                if (rsaKeys == null) {
                    rsaKeys = RsaKeys.generate();
                }
                k = rsaKeys;
            }
        }
        return k;
    }

    /** Baton's own RSA key pair for caching_sha2's full path, as a server's auto-generated one. */
    private record RsaKeys(java.security.KeyPair keys, String publicPem) {
        static RsaKeys generate() {
            java.security.KeyPair kp = RsaPasswordCipher.generateKeyPair();
            return new RsaKeys(kp, RsaPasswordCipher.toPem(kp.getPublic()));
        }
    }

    SslContext backendTls() {
        return backendTls;
    }

    String serverVersion() {
        return greeting.version();
    }

    String defaultAuthPlugin() {
        return greeting.plugin();
    }

    int sourceCapabilityExtras() {
        return greeting.capabilityExtras();
    }

    BackendPool pool() {
        return pool;
    }

    /** Pool connections open per server now (held by sessions and idle). */
    public java.util.Map<Endpoint, Integer> poolOpen() {
        return pool.openByServer();
    }

    /** Idle pool connections now. */
    public int poolIdle() {
        return pool.idle();
    }

    int defaultCharacterSet() {
        return greeting.characterSet();
    }

    /**
     * Thread id on {@code server} → the id of the Baton session whose backend it is, now: how a process list read
     * through Baton shows Baton's ids (ConnectionIds). Read across event loops: a snapshot, as any process list is.
     */
    java.util.Map<Long, Long> backendThreads(Endpoint server) {
        java.util.Map<Long, Long> m = new java.util.HashMap<>();
        for (ClientSession cs : sessions.all()) {
            if (server.equals(cs.backendEndpoint())) {
                long thread = cs.backendThreadId();
                if (thread != 0) {
                    m.put(thread, cs.id());
                }
            }
        }
        return m;
    }

    // ----------------------------------------------------------------------------- RoutingControl

    @Override
    public Endpoint source() {
        return source.get();
    }

    @Override
    public void closeGate(String reason) {
        gate.close(reason);
        log.info("gate closed: {}", reason);
    }

    @Override
    public void openGate() {
        long ms = gate.open();
        log.info("gate opened after {} ms", ms);
    }

    @Override
    public boolean isGateOpen() {
        return gate.isOpen();
    }

    @Override
    public MigrationSummary switchTo(Endpoint newSource, Duration timeout) {
        long t0 = System.nanoTime();
        Endpoint old = source.getAndSet(newSource);
        if (!newSource.equals(old)) {
            writeMarks.sourceChanged();
        }
        probe(newSource);
        pool.routeChanged(newSource);
        String why = "the source changed from " + (old == null ? "none" : old.name()) + " to " + newSource.name();
        List<CompletableFuture<Boolean>> moves = new ArrayList<>();
        for (ClientSession s : sessions.all()) {
            // Read sessions stay on their replicas; one on the promoted replica moves at its next statement.
            if (s.channel() != null && !s.readOnly()) {
                moves.add(s.moveTo(newSource, why));
            }
        }
        long deadline = t0 + timeout.toNanos();
        int moved = 0;
        int failed = 0;
        boolean interrupted = false;
        for (CompletableFuture<Boolean> f : moves) {
            while (true) {
                try {
                    long left = Math.max(1, deadline - System.nanoTime());
                    if (f.get(left, TimeUnit.NANOSECONDS)) {
                        moved++;
                    } else {
                        failed++;
                    }
                } catch (TimeoutException | ExecutionException e) {
                    failed++;
                } catch (InterruptedException e) {
                    // The wait is bounded by the deadline: finish counting, and keep the interrupt for the caller.
                    interrupted = true;
                    continue;
                }
                break;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        log.info("routing switched from {} to {}: {} session(s) moved, {} not, in {} ms", old, newSource, moved, failed, ms);
        return new MigrationSummary(moved, failed, ms);
    }

    @Override
    public boolean awaitNoOpenTransactions(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            boolean any = sessions.all().stream().anyMatch(s -> !s.readOnly() && s.busy());
            if (!any) {
                return true;
            }
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(5);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
    }

    @Override
    public void close() {
        if (listener != null) {
            listener.close().syncUninterruptibly();
        }
        if (readListener != null) {
            readListener.close().syncUninterruptibly();
        }
        for (ClientSession s : sessions.all()) {
            Channel c = s.channel();
            if (c != null) {
                c.eventLoop().execute(s::close);
            }
        }
        pool.close();
        if (boss != null) {
            boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        if (workers != null) {
            workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
        }
        passwordChecks.shutdownNow();
    }
}
