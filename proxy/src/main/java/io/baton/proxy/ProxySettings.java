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
 * @param reads             the read-only port over the replicas (docs/reads.md)
 * @param pool              backend connections shared by the read-write port's sessions (docs/pool.md)
 */
public record ProxySettings(String host, int port, int ioThreads, int maxConnections, int maxPacketBytes,
                            Duration idleTimeout, Duration connectTimeout, Duration backendConnectTimeout,
                            Duration gateMaxWait, boolean backendTls, Replay replay, Reads reads, Pool pool) {

    /** Without pool settings: the defaults. */
    public ProxySettings(String host, int port, int ioThreads, int maxConnections, int maxPacketBytes,
                         Duration idleTimeout, Duration connectTimeout, Duration backendConnectTimeout,
                         Duration gateMaxWait, boolean backendTls, Replay replay, Reads reads) {
        this(host, port, ioThreads, maxConnections, maxPacketBytes, idleTimeout, connectTimeout, backendConnectTimeout,
                gateMaxWait, backendTls, replay, reads, Pool.defaults());
    }

    /**
     * The backend pool (docs/pool.md): a session of the read-write port holds a server connection only while it
     * must (a transaction, a result, state that cannot be rebuilt elsewhere); between statements it gives it back.
     *
     * @param enabled      pool at all (default on); off: each session owns its backend for its whole life
     * @param maxPerServer server connections of the pool per server, held and idle together (64)
     * @param idleTimeout  an idle pooled connection is closed after this (30 s)
     * @param releaseDelay a session idle this long gives its connection back (5 ms), at once when a statement
     *                     waits for one
     * @param maxWait      how long a statement waits for a connection when maxPerServer are in use (10 s),
     *                     then ERR 1040
     * @param loginReuse   a login takes an idle connection only if that connection's server login is at most this
     *                     old (10 s; 0: never)
     * @param maxIdle      idle connections per server kept past idleTrim (8), shared out over the event loops
     * @param idleTrim     idle connections beyond maxIdle close once idle this long (1 s)
     */
    public record Pool(boolean enabled, int maxPerServer, Duration idleTimeout, Duration releaseDelay, Duration maxWait,
                       Duration loginReuse, int maxIdle, Duration idleTrim) {
        /** What a login that takes an idle connection may skip of the server's own login checks, at most (10 s). */
        public static final Duration LOGIN_REUSE = Duration.ofSeconds(10);
        /** Idle connections per server kept past {@link #IDLE_TRIM} (the rest close then). */
        public static final int MAX_IDLE = 8;
        /** How long an idle connection beyond {@link #MAX_IDLE} stays open (1 s: a burst's connections go soon after it). */
        public static final Duration IDLE_TRIM = Duration.ofSeconds(1);

        public Pool(boolean enabled, int maxPerServer, Duration idleTimeout, Duration releaseDelay, Duration maxWait) {
            this(enabled, maxPerServer, idleTimeout, releaseDelay, maxWait, LOGIN_REUSE);
        }

        public Pool(boolean enabled, int maxPerServer, Duration idleTimeout, Duration releaseDelay, Duration maxWait,
                    Duration loginReuse) {
            this(enabled, maxPerServer, idleTimeout, releaseDelay, maxWait, loginReuse, MAX_IDLE, IDLE_TRIM);
        }

        public static Pool defaults() {
            return new Pool(true, 64, Duration.ofSeconds(30), Duration.ofMillis(5), Duration.ofSeconds(10));
        }

        public static Pool off() {
            return new Pool(false, 64, Duration.ofSeconds(30), Duration.ofMillis(5), Duration.ofSeconds(10));
        }
    }

    /** How fresh a read on a replica must be (docs/reads.md). */
    public enum Consistency {
        /** Lag-bounded only (reads.maxLag). */
        EVENTUAL,
        /** A read sees every write this client session made. */
        SESSION,
        /** A read sees every write acknowledged to any session of the same user, on any port, before it started. */
        USER,
        /** A read sees every write acknowledged through this Baton before it started. */
        GLOBAL;

        /** The level named {@code text} (any case), or null. */
        public static Consistency of(String text) {
            for (Consistency c : values()) {
                if (c.name().equalsIgnoreCase(text == null ? "" : text.strip())) {
                    return c;
                }
            }
            return null;
        }

        public String label() {
            return name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /**
     * The read-only port (docs/reads.md).
     *
     * @param port             where read sessions connect (0: no read port)
     * @param maxLag           a replica further behind gets no new read statements (5 s)
     * @param fallbackToSource no replica qualifies: read on the source (true, the default) or answer an ERR
     * @param consistency      the level a read session starts with (eventual)
     * @param causalTimeout    how long a read waits for a replica to have the writes it must see, then it runs on
     *                         the source (1 s)
     * @param causal           the servers replicate by GTID, so the user and global levels can be kept: Baton
     *                         learns each commit's GTID (false in position mode, where those levels are refused)
     * @param split            proxy.splitReads: plain reads outside transactions on the read-write port go to a
     *                         replica that has the writes the session's level needs (GTID mode only)
     */
    public record Reads(int port, Duration maxLag, boolean fallbackToSource, Consistency consistency,
                        Duration causalTimeout, boolean causal, boolean split) {
        public static Reads defaults() {
            return new Reads(0, Duration.ofSeconds(5), true, Consistency.EVENTUAL, Duration.ofSeconds(1), false, false);
        }

        /** Without the causal levels (position mode) and without split reads. */
        public Reads(int port, Duration maxLag, boolean fallbackToSource, Consistency consistency,
                     Duration causalTimeout) {
            this(port, maxLag, fallbackToSource, consistency, causalTimeout, false, false);
        }

        /** Whether Baton learns each commit's GTID for the causal levels. */
        public boolean tracksWrites() {
            return (enabled() || split) && causal;
        }

        /** Whether reads are split off the read-write port. */
        public boolean splits() {
            return split && causal;
        }

        public boolean enabled() {
            return port > 0;
        }
    }

    /** Without read settings: no read port. */
    public ProxySettings(String host, int port, int ioThreads, int maxConnections, int maxPacketBytes,
                         Duration idleTimeout, Duration connectTimeout, Duration backendConnectTimeout,
                         Duration gateMaxWait, boolean backendTls, Replay replay) {
        this(host, port, ioThreads, maxConnections, maxPacketBytes, idleTimeout, connectTimeout, backendConnectTimeout,
                gateMaxWait, backendTls, replay, Reads.defaults());
    }

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
                gateMaxWait, backendTls, Replay.defaults(), Reads.defaults());
    }

    public static ProxySettings defaults() {
        return new ProxySettings("127.0.0.1", 6033, 0, 3000, 1024 * 1024 * 1024, Duration.ofHours(8),
                Duration.ofSeconds(10), Duration.ofSeconds(5), Duration.ofSeconds(10), false, Replay.defaults(), Reads.defaults());
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
                backendConnectTimeout, gateMaxWait, backendTls, replay, reads, pool);
    }

    public ProxySettings withLimits(int maxConn, int maxPacket, Duration idle, Duration connect) {
        return new ProxySettings(host, port, ioThreads, maxConn, maxPacket, idle, connect, backendConnectTimeout,
                gateMaxWait, backendTls, replay, reads, pool);
    }

    public ProxySettings withGateMaxWait(Duration d) {
        return new ProxySettings(host, port, ioThreads, maxConnections, maxPacketBytes, idleTimeout, connectTimeout,
                backendConnectTimeout, d, backendTls, replay, reads, pool);
    }

    public ProxySettings withReplay(Replay r) {
        return new ProxySettings(host, port, ioThreads, maxConnections, maxPacketBytes, idleTimeout, connectTimeout,
                backendConnectTimeout, gateMaxWait, backendTls, r, reads, pool);
    }

    public ProxySettings withReads(Reads r) {
        return new ProxySettings(host, port, ioThreads, maxConnections, maxPacketBytes, idleTimeout, connectTimeout,
                backendConnectTimeout, gateMaxWait, backendTls, replay, r, pool);
    }

    public ProxySettings withPool(Pool p) {
        return new ProxySettings(host, port, ioThreads, maxConnections, maxPacketBytes, idleTimeout, connectTimeout,
                backendConnectTimeout, gateMaxWait, backendTls, replay, reads, p);
    }
}
