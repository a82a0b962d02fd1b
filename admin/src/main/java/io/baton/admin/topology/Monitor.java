package io.baton.admin.topology;

import io.baton.admin.config.BatonConfig;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks every configured server each {@code monitor.interval}, on its own scheduled executor,
 * and publishes an immutable {@link TopologySnapshot}. It also fences: a reachable server that is
 * writable but is not the elected source (an old source that came back, a split brain) is made
 * read-only at once, unless a procedure holds fencing while it changes the source.
 */
public final class Monitor implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Monitor.class);

    private final BatonConfig config;
    private final List<ServerProbe> probes = new ArrayList<>();
    private final ScheduledExecutorService scheduler;
    private final ExecutorService checkers;
    private final List<Consumer<TopologySnapshot>> listeners = new CopyOnWriteArrayList<>();
    private volatile TopologySnapshot snapshot;
    private volatile String electedSource;
    private volatile boolean fencingHeld;
    private volatile java.util.function.BooleanSupplier fencingAllowed = () -> true;
    private volatile boolean started;
    /** The periodic round; replaced when monitor.interval changes at runtime. Guarded by {@link #scheduleLock}. */
    private ScheduledFuture<?> schedule;
    private long scheduledEvery;
    private final Object scheduleLock = new Object();
    /** A round scheduled besides the periodic ones (fast checks, or one asked for by the proxy). */
    private final java.util.concurrent.atomic.AtomicBoolean extraPending = new java.util.concurrent.atomic.AtomicBoolean();
    private volatile boolean fastChecking;

    public Monitor(BatonConfig config) {
        this.config = config;
        for (BatonConfig.Server s : config.servers) {
            probes.add(new ServerProbe(config, s));
        }
        AtomicInteger n = new AtomicInteger();
        this.scheduler = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "baton-monitor"));
        this.checkers = Executors.newFixedThreadPool(Math.min(8, Math.max(1, probes.size())),
                r -> daemon(r, "baton-monitor-check-" + n.incrementAndGet()));
        this.snapshot = new TopologySnapshot(Instant.now(), List.of(), null);
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** Starts the periodic checks (the first one at once). */
    public void start() {
        long every;
        synchronized (scheduleLock) {
            if (started) {
                return;
            }
            started = true;
            every = config.monitor.interval.toMillis();
            scheduledEvery = every;
            schedule = scheduler.scheduleWithFixedDelay(this::roundQuietly, 0, every, TimeUnit.MILLISECONDS);
        }
        log.info("monitor started: {} server(s) every {} ms, failed after {} checks", probes.size(), every,
                config.monitor.failedChecks);
    }

    /**
     * Applies a changed {@code monitor.interval} to the running schedule: the round in progress (if
     * any) finishes, the next one starts one new interval later. Nothing happens before {@link #start}.
     */
    public void reschedule() {
        synchronized (scheduleLock) {
            long every = config.monitor.interval.toMillis();
            if (!started || scheduler.isShutdown() || every == scheduledEvery) {
                return;
            }
            schedule.cancel(false);
            schedule = scheduler.scheduleWithFixedDelay(this::roundQuietly, every, every, TimeUnit.MILLISECONDS);
            log.info("monitor now checks every {} ms (was {} ms)", every, scheduledEvery);
            scheduledEvery = every;
        }
    }

    /** The interval the running schedule uses (0 before start). */
    public long scheduledIntervalMillis() {
        synchronized (scheduleLock) {
            return scheduledEvery;
        }
    }

    /**
     * Something saw the source's connections end or be refused (the proxy's sessions): check now instead of at
     * the next round. At most one such round is pending at a time.
     */
    public void checkSoon() {
        scheduleExtra(0);
    }

    private void scheduleExtra(long delayMillis) {
        if (!started || scheduler.isShutdown() || !extraPending.compareAndSet(false, true)) {
            return;
        }
        try {
            scheduler.schedule(() -> {
                extraPending.set(false);
                roundQuietly();
            }, delayMillis, TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            extraPending.set(false); // closing
        }
    }

    /**
     * After a round: while the source's checks fail abruptly (refused, reset), the next comes after
     * monitor.fastInterval; a slow or silent source keeps the interval.
     */
    private void scheduleFastCheck() {
        String src = electedSource;
        ServerProbe probe = src == null ? null : probes.stream().filter(p -> p.server().name.equals(src)).findFirst().orElse(null);
        long fast = config.monitor.fastInterval.toMillis();
        boolean abrupt = probe != null && probe.lastFailureAbrupt() && fast < config.monitor.interval.toMillis();
        if (abrupt && !fastChecking) {
            log.info("source {} refused or reset the connection: checking every {} ms (monitor.fastInterval) instead of"
                    + " every {} ms", src, fast, config.monitor.interval.toMillis());
        }
        fastChecking = abrupt;
        if (abrupt) {
            scheduleExtra(fast);
        }
    }

    /** The latest snapshot (empty before the first round). */
    public TopologySnapshot snapshot() {
        return snapshot;
    }

    /** Runs one round now, on the caller's thread (the CLI's way; also safe while the schedule runs). */
    public TopologySnapshot refresh() {
        return round();
    }

    /** Called with each new snapshot, on the monitor's thread; must not block for long. */
    public void addListener(Consumer<TopologySnapshot> listener) {
        listeners.add(listener);
    }

    /** The source Baton routes to. Writable servers other than this one are fenced. */
    public void setElectedSource(String name) {
        this.electedSource = name;
    }

    public String electedSource() {
        return electedSource;
    }

    /** In a cluster, only the leader's monitor fences: the others may know an older source. */
    public void fenceOnlyWhen(java.util.function.BooleanSupplier allowed) {
        this.fencingAllowed = allowed;
    }

    /** While held, the monitor does not fence (a procedure is moving the source). */
    public void holdFencing(boolean hold) {
        this.fencingHeld = hold;
    }

    private void roundQuietly() {
        try {
            round();
        } catch (RuntimeException | Error e) {
            // Anything thrown out of a periodic task cancels the schedule for good: the monitor must go on.
            log.error("monitor round failed", e);
        }
    }

    private synchronized TopologySnapshot round() {
        List<Future<ServerState>> futures = new ArrayList<>();
        for (ServerProbe p : probes) {
            futures.add(checkers.submit(p::check));
        }
        List<ServerState> states = new ArrayList<>();
        // Each check is bounded by its own connect and socket timeouts (ServerProbe); one probe never runs twice at once.
        for (int i = 0; i < futures.size(); i++) {
            try {
                states.add(futures.get(i).get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return snapshot;
            } catch (ExecutionException e) {
                BatonConfig.Server s = probes.get(i).server();
                states.add(ServerState.unreachable(s.name, s.host, s.port, e.getCause().toString(), 1, 0));
            }
        }
        TopologySnapshot next = new TopologySnapshot(Instant.now(), states, electedSource);
        if (electedSource == null) {
            next.discoverSource().filter(ServerState::writable).ifPresent(s -> {
                electedSource = s.name();
                log.info("source is {} ({})", s.name(), s.address());
            });
            next = new TopologySnapshot(next.takenAt(), states, electedSource);
        }
        fenceStrayWriters(next);
        snapshot = next;
        scheduleFastCheck();
        for (Consumer<TopologySnapshot> l : listeners) {
            try {
                l.accept(next);
            } catch (RuntimeException e) {
                log.error("monitor listener failed", e);
            }
        }
        return next;
    }

    /** An old source that comes back, or any second writer, is made read-only at once. */
    private void fenceStrayWriters(TopologySnapshot s) {
        String elected = electedSource;
        if (elected == null || fencingHeld || !fencingAllowed.getAsBoolean()) {
            return;
        }
        for (ServerState st : s.servers()) {
            if (st.writable() && !st.name().equals(elected)) {
                try {
                    fence(st.name());
                    log.warn("fenced {} ({}): it was writable but the source is {}; it stays read-only and is never routed to"
                            + " until it rejoins", st.name(), st.address(), elected);
                } catch (SQLException e) {
                    log.error("could not fence {} ({}): {}", st.name(), st.address(), e.getMessage());
                }
            }
        }
    }

    /** Makes one server read-only through a fresh connection. */
    public void fence(String name) throws SQLException {
        BatonConfig.Server server = config.server(name);
        try (ServerConnection c = ServerConnection.open(config, server, config.monitor.connectTimeout,
                config.monitor.queryTimeout)) {
            c.setReadOnly(true);
        }
    }

    @Override
    public void close() {
        synchronized (scheduleLock) { // no reschedule() onto a stopped scheduler
            scheduler.shutdownNow();
        }
        checkers.shutdownNow();
        try {
            scheduler.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        synchronized (this) {
            probes.forEach(ServerProbe::close);
        }
    }
}
