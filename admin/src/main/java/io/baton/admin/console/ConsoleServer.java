package io.baton.admin.console;

import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin console: a line protocol on TCP (default 127.0.0.1:6032) for operators at a terminal
 * ({@code nc}, {@code telnet}, {@code ./baton admin}) and for scripts. A plain blocking
 * {@link ServerSocket}: one acceptor thread and one thread per connection, at most
 * {@code admin.maxConnections} of them; an admin console needs no event loop, and none of the
 * proxy's is ever blocked by it. It listens on loopback only unless {@code admin.allowRemote}.
 */
public final class ConsoleServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(ConsoleServer.class);
    /** Hard bound on console threads, whatever admin.maxConnections is raised to at runtime. */
    private static final int MAX_THREADS = 256;

    private final BatonConfig config;
    private final ServerSocket listener;
    private final ConsoleCommands commands;
    private final AdminPassword password;
    private final LoginThrottle throttle = new LoginThrottle();
    private final ThreadPoolExecutor pool;
    private final AtomicInteger open = new AtomicInteger();
    private final Set<ConsoleSession> sessions = ConcurrentHashMap.newKeySet();
    private final Thread acceptor;
    private volatile boolean closed;

    private ConsoleServer(BatonNode node, AdminPassword password, ServerSocket listener) {
        this.config = node.config();
        this.password = password;
        this.listener = listener;
        this.commands = new ConsoleCommands(node);
        AtomicInteger n = new AtomicInteger();
        this.pool = new ThreadPoolExecutor(0, MAX_THREADS, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
            Thread t = new Thread(r, "baton-console-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.acceptor = new Thread(this::acceptLoop, "baton-console-accept");
        this.acceptor.setDaemon(true);
    }

    /**
     * Starts the console of a running node as configured, or returns empty when it is disabled
     * ({@code admin.enabled: false}) or no password is configured (logged as a warning).
     *
     * @throws IllegalStateException the address is not loopback without admin.allowRemote, the port is
     *                               taken, or the password file cannot be read
     */
    public static Optional<ConsoleServer> start(BatonNode node) {
        return start(node, System.getenv());
    }

    static Optional<ConsoleServer> start(BatonNode node, Map<String, String> env) {
        BatonConfig.Admin a = node.config().admin;
        if (!a.enabled) {
            log.info("admin console off (admin.enabled: false)");
            return Optional.empty();
        }
        Optional<AdminPassword> pw = AdminPassword.resolve(a, env);
        if (pw.isEmpty()) {
            log.warn("admin console off: no password (set admin.password, admin.passwordFile or {})", AdminPassword.ENV);
            return Optional.empty();
        }
        InetAddress address = address(a);
        ServerSocket ss = null;
        try {
            ss = new ServerSocket();
            ss.setReuseAddress(true);
            ss.bind(new InetSocketAddress(address, a.port), 50);
        } catch (IOException e) {
            closeQuietly(ss);
            throw new IllegalStateException("cannot listen for the admin console on " + a.host + ":" + a.port + ": "
                    + e.getMessage() + " (is another process using the port? choose another with admin.port or --admin-port)",
                    e);
        }
        ConsoleServer server = new ConsoleServer(node, pw.get(), ss);
        server.acceptor.start();
        log.info("admin console listening on {}:{} (password from {}, at most {} connections)",
                address.getHostAddress(), server.port(), pw.get().origin(), a.maxConnections);
        return Optional.of(server);
    }

    private static InetAddress address(BatonConfig.Admin a) {
        InetAddress address;
        try {
            address = InetAddress.getByName(a.host);
        } catch (UnknownHostException e) {
            throw new IllegalStateException("admin.host '" + a.host + "' does not resolve: " + e.getMessage(), e);
        }
        if (!address.isLoopbackAddress() && !a.allowRemote) {
            throw new IllegalStateException("admin.host " + a.host + " is not a loopback address: the admin console would"
                    + " be reachable from other machines, and its password crosses the network in clear. Use 127.0.0.1,"
                    + " or set admin.allowRemote: true to allow it");
        }
        return address;
    }

    /** The bound port. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Console connections open now. */
    public int connections() {
        return open.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket s;
            try {
                s = listener.accept();
            } catch (IOException e) {
                if (!closed) {
                    log.error("admin console stopped accepting: {}", e.toString());
                }
                return;
            }
            int max = config.admin.maxConnections;
            if (open.incrementAndGet() > Math.min(max, MAX_THREADS)) {
                open.decrementAndGet();
                refuse(s, "ERROR too many admin console connections (" + max + ", admin.maxConnections); try again later");
                log.warn("admin console: refused {} (admin.maxConnections {} reached)", s.getRemoteSocketAddress(), max);
                continue;
            }
            ConsoleSession session = new ConsoleSession(s, config, password, throttle, commands);
            sessions.add(session);
            try {
                pool.execute(() -> {
                    try {
                        session.run();
                    } finally {
                        sessions.remove(session);
                        open.decrementAndGet();
                    }
                });
            } catch (RuntimeException e) {
                sessions.remove(session);
                open.decrementAndGet();
                refuse(s, "ERROR the admin console cannot take a connection now; try again later");
            }
        }
    }

    private static void refuse(Socket s, String line) {
        try (s) {
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write((line + "\r\n").getBytes(StandardCharsets.UTF_8));
            out.flush();
        } catch (IOException e) {
            log.debug("admin console: refusing {} failed: {}", s.getRemoteSocketAddress(), e.toString());
        }
    }

    @Override
    public void close() {
        closed = true;
        closeQuietly(listener);
        sessions.forEach(ConsoleSession::kill);
        pool.shutdownNow();
        try {
            acceptor.join(2000);
            pool.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void closeQuietly(ServerSocket s) {
        if (s != null) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
