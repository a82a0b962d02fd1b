package io.baton.proxy;

import java.time.Duration;

/**
 * How the proxy listens and its limits. Every limit has a default and is configurable; exceeding one
 * gets the ERR a MySQL server would send.
 *
 * @param host              listen address (127.0.0.1 unless configured)
 * @param port              listen port (6033)
 * @param ioThreads         event-loop threads (0: {@link #autoIoThreads}, half the cores)
 * @param maxConnections    client sessions at once; one more gets ERR 1040
 * @param maxPacketBytes    largest logical client packet; larger gets ERR 1153
 * @param idleTimeout       an idle client session is closed with ERR 4031 after this
 * @param connectTimeout    a client must finish the handshake within this, or gets ERR 1043
 * @param backendConnectTimeout limit for opening and authenticating a backend connection
 * @param gateMaxWait       longest a statement waits at a closed gate before an ERR
 * @param backendTls        use TLS to the backend servers
 * @param replay            transaction replay when a session's server is lost (docs/replay.md)
 */
public record ProxySettings(String host, int port, int ioThreads, int maxConnections, int maxPacketBytes,
                            Duration idleTimeout, Duration connectTimeout, Duration backendConnectTimeout,
                            Duration gateMaxWait, boolean backendTls, Replay replay) {

    /**
     * Transaction replay: an open transaction whose server is lost runs again on the next source (docs/replay.md).
     *
     * @param enabled  replay at all (default on)
     * @param maxBytes statements kept per session's open transaction; a larger transaction is not replayed (1 MiB)
     * @param attempts replays tried per transaction before it is reported rolled back (3)
     */
    public record Replay(boolean enabled, int maxBytes, int attempts) {
        public static Replay defaults() {
            return new Replay(true, 1024 * 1024, 3);
        }
    }

    /** Without replay settings: the defaults. */
    public ProxySettings(String host, int port, int ioThreads, int maxConnections, int maxPacketBytes,
                         Duration idleTimeout, Duration connectTimeout, Duration backendConnectTimeout,
                         Duration gateMaxWait, boolean backendTls) {
        this(host, port, ioThreads, maxConnections, maxPacketBytes, idleTimeout, connectTimeout, backendConnectTimeout,
                gateMaxWait, backendTls, Replay.defaults());
    }

    public static ProxySettings defaults() {
        return new ProxySettings("127.0.0.1", 6033, 0, 3000, 1024 * 1024 * 1024, Duration.ofHours(8),
                Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10), false, Replay.defaults());
    }

    /**
     * Event loops when none are configured: half the cores, at least one. Baton shares its host's
     * cores with the clients and often with a server; one loop relays tens of thousands of statements
     * a second, and fewer loops find more sockets ready per wake-up. Measured on 2 cores (perf/RESULTS.md):
     * one loop instead of two halved the context switches per statement and took 12-34 % less CPU
     * per statement.
     */
    public static int autoIoThreads(int cores) {
        return Math.max(1, cores / 2);
    }

    /** The event loops to run: the configured number, or {@link #autoIoThreads} of this machine's cores. */
    public int effectiveIoThreads() {
        return ioThreads > 0 ? ioThreads : autoIoThreads(Runtime.getRuntime().availableProcessors());
    }

    public ProxySettings withPort(int p) {
        return new ProxySettings(host, p, ioThreads, maxConnections, maxPacketBytes, idleTimeout, connectTimeout,
                backendConnectTimeout, gateMaxWait, backendTls, replay);
    }

    public ProxySettings withLimits(int maxConn, int maxPacket, Duration idle, Duration connect) {
        return new ProxySettings(host, port, ioThreads, maxConn, maxPacket, idle, connect, backendConnectTimeout,
                gateMaxWait, backendTls, replay);
    }

    public ProxySettings withGateMaxWait(Duration d) {
        return new ProxySettings(host, port, ioThreads, maxConnections, maxPacketBytes, idleTimeout, connectTimeout,
                backendConnectTimeout, d, backendTls, replay);
    }

    public ProxySettings withReplay(Replay r) {
        return new ProxySettings(host, port, ioThreads, maxConnections, maxPacketBytes, idleTimeout, connectTimeout,
                backendConnectTimeout, gateMaxWait, backendTls, r);
    }
}
