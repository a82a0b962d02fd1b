package io.baton.admin.reads;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.BinlogCoordinates;
import io.baton.admin.topology.GtidSet;
import io.baton.admin.topology.MariaDbGtids;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ReplicaStatus;
import io.baton.admin.topology.ServerConnection;
import io.baton.admin.topology.ServerState;
import io.baton.dialect.Dialect;
import io.baton.proxy.ReadPool;
import io.baton.proxy.routing.Endpoint;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Measures each replica's lag behind the routed source in milliseconds, without writing anything anywhere
 * (docs/reads.md). Every reads.lagInterval one thread per server reads how far that server has got: the GTIDs
 * it executed (MySQL {@code gtid_executed}, MariaDB {@code gtid_current_pos}), or in position mode the source's
 * binary log position and each replica's executed position in it. The source's readings, each stamped with the
 * time Baton took it, form a history; a replica's lag is the age, at its own reading, of the oldest source
 * reading it does not cover yet (0 when it covers every one), plus half an interval. Its error is at most half
 * an interval either way plus the time a reading takes, on Baton's own clock: the servers' clocks are never
 * compared. A replica with nothing to apply is 0 ms behind, whatever its SOURCE_DELAY: it has every write.
 * Health comes from the monitor's latest look. The result feeds the proxy's {@link ReadPool}.
 */
public final class LagSampler implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(LagSampler.class);
    /** Source readings kept: at 50 ms, the last 200 s of changes. */
    private static final int HISTORY = 4096;

    private final BatonConfig config;
    private final Monitor monitor;
    private final Supplier<Endpoint> routedSource;
    private final ReadPool pool;
    private final boolean positions;
    private final Map<String, Sampler> samplers = new LinkedHashMap<>();
    /** Source readings, oldest first, each a change from the one before; guarded by itself. */
    private final ArrayDeque<Mark> history = new ArrayDeque<>();
    private volatile boolean closed;
    private Thread publisher;

    /** What a server has executed, comparable with a source reading. */
    sealed interface Progress permits Gtids, MariaPos, Position {
        /** Whether this (a replica's) covers everything in {@code sourceMark}. */
        boolean covers(Progress sourceMark);
    }

    record Gtids(GtidSet set) implements Progress {
        public boolean covers(Progress m) {
            return m instanceof Gtids g && set.containsAll(g.set);
        }
    }

    record MariaPos(Map<Long, Long> seqByDomain) implements Progress {
        public boolean covers(Progress m) {
            if (!(m instanceof MariaPos p)) {
                return false;
            }
            for (Map.Entry<Long, Long> e : p.seqByDomain.entrySet()) {
                if (seqByDomain.getOrDefault(e.getKey(), -1L) < e.getValue()) {
                    return false;
                }
            }
            return true;
        }
    }

    record Position(BinlogCoordinates at) implements Progress {
        public boolean covers(Progress m) {
            return m instanceof Position p && at != null && p.at != null && at.compareTo(p.at) >= 0;
        }
    }

    /** A source reading: what the source had executed when Baton looked (System.nanoTime). */
    record Mark(String source, long nanos, Progress progress) {
    }

    /** One server's latest measurement. */
    public record Lag(String server, long lagMillis, boolean healthy, String note, String executed) {
    }

    public LagSampler(BatonConfig config, Monitor monitor, Supplier<Endpoint> routedSource, ReadPool pool) {
        this.config = config;
        this.monitor = monitor;
        this.routedSource = routedSource;
        this.pool = pool;
        this.positions = "position".equals(config.replication.mode);
        for (BatonConfig.Server s : config.servers) {
            samplers.put(s.name, new Sampler(s));
        }
    }

    public LagSampler start() {
        for (Sampler s : samplers.values()) {
            s.thread.start();
        }
        publisher = new Thread(this::publishLoop, "baton-reads-publish");
        publisher.setDaemon(true);
        publisher.start();
        log.info("read port: measuring each replica's lag every {} ms (reads.maxLag {} ms)",
                config.reads.lagInterval.toMillis(), config.reads.maxLag.toMillis());
        return this;
    }

    /** Gauges {@code baton_replica_lag_ms{server}} (-1 when unknown or for the source). */
    public LagSampler bind(MeterRegistry meters) {
        for (Sampler s : samplers.values()) {
            Gauge.builder("baton.replica.lag.ms", s, this::lagMillis).tag("server", s.server.name)
                    .description("How far each replica is behind the source, in ms (-1: unknown, or the source)")
                    .register(meters);
        }
        return this;
    }

    /** Each server's latest measurement, in configuration order. */
    public List<Lag> lags() {
        List<Lag> out = new ArrayList<>();
        Endpoint src = routedSource.get();
        for (Sampler s : samplers.values()) {
            boolean isSource = src != null && src.name().equals(s.server.name);
            out.add(new Lag(s.server.name, isSource ? 0 : lagMillis(s), !isSource && s.healthy,
                    isSource ? "source" : s.note, s.executedText));
        }
        return out;
    }

    /** The latest lag of {@code server} in ms, or -1. */
    public long lagMillis(String server) {
        Sampler s = samplers.get(server);
        return s == null ? -1 : lagMillis(s);
    }

    private long intervalMillis() {
        return Math.max(BatonConfig.MIN_MONITOR_INTERVAL_MS, config.reads.lagInterval.toMillis());
    }

    private void publishLoop() {
        while (!closed) {
            try {
                publish();
                Thread.sleep(intervalMillis());
            } catch (InterruptedException e) {
                return;
            } catch (RuntimeException e) {
                log.error("publishing replica lags failed", e);
            }
        }
    }

    /** Hands the latest measurements to the proxy. */
    void publish() {
        Endpoint src = routedSource.get();
        List<ReadPool.Replica> out = new ArrayList<>();
        String sourceExecuted = null;
        for (Sampler s : samplers.values()) {
            BatonConfig.Server c = s.server;
            if (src != null && src.name().equals(c.name)) {
                sourceExecuted = s.executedText;
                continue;
            }
            out.add(new ReadPool.Replica(new Endpoint(c.name, c.host, c.port), lagMillis(s), s.healthy, s.note,
                    s.executedText));
        }
        pool.update(out, sourceExecuted);
    }

    /** Health as the monitor last saw it: reachable, replicating from the routed source, its applier running. */
    private String unhealthy(BatonConfig.Server server, Endpoint src) {
        Optional<ServerState> st = monitor.snapshot().servers().stream().filter(x -> x.name().equals(server.name))
                .findFirst();
        if (st.isEmpty()) {
            return "not checked yet";
        }
        ServerState s = st.get();
        if (!s.reachable()) {
            return "unreachable";
        }
        if (s.replica() == null) {
            return "replicates from nobody";
        }
        if (src == null || !s.replicatesFrom(src.host(), src.port())) {
            return "replicates from " + s.replica().sourceAddress() + ", not the source";
        }
        if (!s.replica().sqlThreadRunning()) {
            return "its SQL thread is not running";
        }
        return null;
    }

    /** Adds a source reading when it differs from the last one (a new source starts a new history). */
    private void addMark(String source, long nanos, Progress p) {
        synchronized (history) {
            Mark last = history.peekLast();
            if (last != null && !last.source.equals(source)) {
                history.clear();
            }
            if (last != null && last.source.equals(source) && p.covers(last.progress) && last.progress.covers(p)) {
                return;
            }
            history.addLast(new Mark(source, nanos, p));
            while (history.size() > HISTORY) {
                history.removeFirst();
            }
        }
    }

    private static final long UNKNOWN = -1;
    private static final long CAUGHT_UP = 0;

    /**
     * For a replica that read {@code p} at {@code at}: when the source took the oldest reading taken before that
     * which it does not cover, or {@link #CAUGHT_UP} when it covers them all. Older than the whole history: the
     * oldest reading kept.
     */
    private long missingSince(Progress p, long at, String source) {
        synchronized (history) {
            Iterator<Mark> it = history.iterator();
            while (it.hasNext()) {
                Mark m = it.next();
                if (!m.source.equals(source) || m.nanos > at) {
                    break;
                }
                if (!p.covers(m.progress)) {
                    return m.nanos == CAUGHT_UP || m.nanos == UNKNOWN ? m.nanos + 1 : m.nanos;
                }
            }
        }
        return CAUGHT_UP;
    }

    /**
     * The lag now: the age of the oldest source reading the replica lacked at its last reading, plus half an interval
     * (that write committed between two source readings). Taken now rather than at the replica's reading, so it is
     * not an interval stale: a replica that applied the write since its reading is over-reported by at most that.
     */
    private long lagMillis(Sampler s) {
        long since = s.missingSince;
        if (since == UNKNOWN) {
            return -1;
        }
        if (since == CAUGHT_UP) {
            return 0;
        }
        return Math.max(0, (System.nanoTime() - since) / 1_000_000 + intervalMillis() / 2);
    }

    /** One server's sampling thread and its latest result. */
    private final class Sampler {
        final BatonConfig.Server server;
        final Thread thread;
        ServerConnection conn;
        /**
         * When the source took its oldest reading this replica did not cover at its last reading (System.nanoTime);
         * {@link #CAUGHT_UP} when it covered them all, {@link #UNKNOWN} when not measured.
         */
        volatile long missingSince = UNKNOWN;
        volatile boolean healthy;
        volatile String note = "not measured yet";
        /** What it had executed at the last reading (MySQL GTID set, MariaDB position), for causal reads. */
        volatile String executedText;
        private String lastError;

        Sampler(BatonConfig.Server server) {
            this.server = server;
            this.thread = new Thread(this::loop, "baton-reads-lag-" + server.name);
            thread.setDaemon(true);
        }

        void loop() {
            while (!closed) {
                try {
                    sample();
                    lastError = null;
                } catch (SQLException | RuntimeException e) {
                    fail(e);
                }
                try {
                    Thread.sleep(intervalMillis());
                } catch (InterruptedException e) {
                    break;
                }
            }
            if (conn != null) {
                conn.close();
            }
        }

        private void fail(Exception e) {
            if (conn != null) {
                conn.close();
                conn = null;
            }
            missingSince = UNKNOWN;
            healthy = false;
            note = "lag unknown (" + e.getMessage() + ")";
            String msg = String.valueOf(e.getMessage());
            if (!msg.equals(lastError)) {
                log.debug("lag of {}: {}", server.name, msg);
                lastError = msg;
            }
        }

        void sample() throws SQLException {
            if (conn == null || !conn.isOpen()) {
                Duration timeout = config.monitor.queryTimeout;
                conn = ServerConnection.open(config, server, config.monitor.connectTimeout, timeout);
            }
            Endpoint src = routedSource.get();
            boolean isSource = src != null && src.name().equals(server.name);
            long at = System.nanoTime();
            Progress p = read(isSource);
            if (p == null) {
                missingSince = UNKNOWN;
                healthy = false;
                note = isSource ? "source" : "replicates from nobody";
                return;
            }
            if (isSource) {
                addMark(server.name, at, p);
                missingSince = UNKNOWN;
                healthy = false;
                note = "source";
                return;
            }
            String why = unhealthy(server, src);
            missingSince = src == null ? UNKNOWN : missingSince(p, at, src.name());
            healthy = why == null;
            note = why == null ? "" : why;
        }

        /** This server's progress now; null when there is nothing to compare (position mode, not replicating). */
        private Progress read(boolean isSource) throws SQLException {
            Dialect d = conn.dialect();
            if (positions) {
                if (isSource) {
                    Map<String, String> row = conn.row(d.showBinaryLogStatus());
                    if (row.isEmpty()) {
                        return null;
                    }
                    return new Position(new BinlogCoordinates(row.get("File"), Long.parseLong(row.get("Position"))));
                }
                ReplicaStatus rs = conn.replicaStatus();
                return rs == null ? null : new Position(rs.executed());
            }
            String text = conn.scalar(d.gtidExecutedQuery());
            text = text == null ? "" : text.replace("\n", "");
            executedText = text;
            if (d == Dialect.MARIADB) {
                return new MariaPos(MariaDbGtids.parse(text).seqByDomain());
            }
            return new Gtids(GtidSet.parse(text));
        }
    }

    @Override
    public void close() {
        closed = true;
        for (Sampler s : samplers.values()) {
            s.thread.interrupt();
        }
        if (publisher != null) {
            publisher.interrupt();
        }
        for (Sampler s : samplers.values()) {
            try {
                s.thread.join(2000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }
}
