package io.baton.admin.failover;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.Role;
import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.SourceHealth;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs failover, switchover and rejoin, one at a time, and reacts to what the monitor sees: a dead
 * source (failed checks confirmed by the replicas) triggers an automatic failover when
 * {@code failover.auto} is on, at most once per {@code failover.blockSeconds}; a fenced server is
 * rejoined when {@code failover.autoRejoin} is on. The proxy is driven only through
 * {@link RoutingControl}.
 *
 * <p>Anti-flapping counts source changes only. An attempt that failed before promoting anyone (the
 * candidate died, no replica could be promoted) changed nothing, so it does not start
 * {@code failover.blockSeconds}: while the source stays dead the next automatic attempt follows after
 * {@link #retryDelay}, which doubles with each failed attempt in a row up to blockSeconds. Meanwhile
 * the gate stays closed and each held statement gets an error after {@code gate.maxWait}.
 *
 * <p>An attempt that stops after its promotion has finished routing to the promoted server (see
 * {@link FailoverProcedure}); the followers it did not repoint are retried in the background
 * ({@link RepointRetry}) after each monitor round, with the same backoff, until they replicate from
 * the new source or a later procedure changes the source. A promoted server that could not be routed
 * (it did not answer just then) is routed as soon as the monitor sees it writable; failover.blockSeconds
 * starts only once the new source is routed, so it never keeps the gate closed on a dead server.
 *
 * <p>Stopping Baton does not cut a procedure short: {@link #close} lets the running one finish (a
 * failover not yet promoting stops before its next step and restores the replicas), for at most
 * gate.maxWait, before it interrupts it.
 *
 * <p>The engine also keeps each server's state as last seen reachable ({@link LastSeen}): a failover
 * compares the replicas with what the lost source had executed to find errant transactions.
 */
public final class FailoverEngine implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(FailoverEngine.class);

    private final BatonConfig config;
    private final Monitor monitor;
    private final RoutingControl routing;
    private final ReportHistory history;
    private final ReentrantLock procedure = new ReentrantLock();
    private final ExecutorService background;
    private final AtomicBoolean autoPending = new AtomicBoolean();
    private final Set<String> rejoinTried = ConcurrentHashMap.newKeySet();
    private final LastSeen lastSeen = new LastSeen();
    /** When the source last changed hands (failover.blockSeconds counts from here). */
    private volatile Instant lastFailoverAt = Instant.EPOCH;
    /** Failovers in a row that failed without promoting anyone, and when the next automatic one may start. */
    private volatile int failedInARow;
    private volatile Instant retryAt = Instant.EPOCH;
    private volatile FailoverReport.Listener automaticSteps;
    private volatile String lastNotice;
    /** Set by {@link #close}: procedures stop before their next step while they still can. */
    private volatile boolean closing;
    private volatile Procedure.Fault fault = (r, s) -> { };
    /** durability.mode replica: the commits whose OK reached a client; a failover checks its candidate against them. */
    private volatile AckedWrites ackedWrites;
    /** Followers failovers left behind, by server: repointed in the background. */
    private final Map<String, PendingRetry> repointRetries = new ConcurrentHashMap<>();
    /** A server promoted by an attempt that could not route to it (it did not answer then), or null. */
    private volatile String promotedUnrouted;
    private final AtomicBoolean retryPending = new AtomicBoolean();
    /** The thread running a procedure (background or an operator's console thread), or null. */
    private volatile Thread runner;
    /** Retries of one follower before the engine gives up and says to rejoin it by hand. */
    static final int MAX_REPOINT_RETRIES = 10;
    /** Whether this engine decides (in a cluster: only on the leader), and what to say when it does not. */
    private volatile java.util.function.BooleanSupplier decides = () -> true;
    private volatile java.util.function.BooleanSupplier leads = () -> true;
    private volatile java.util.function.Supplier<String> notDeciding = () -> "";
    private volatile java.util.function.Consumer<FailoverReport> reported = r -> { };

    /** One follower to repoint: what the failover left, how many retries failed, when the next may run. */
    private record PendingRetry(FailoverProcedure.Pending pending, long failoverId, int failures, Instant nextAt) {
    }

    public FailoverEngine(BatonConfig config, Monitor monitor, RoutingControl routing, ReportHistory history) {
        this.config = config;
        this.monitor = monitor;
        this.routing = routing;
        this.history = history;
        this.background = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "baton-failover");
            t.setDaemon(true);
            return t;
        });
    }

    /** Follows the monitor: the routed source becomes the elected one; detection and auto-rejoin start. */
    public void start() {
        Endpoint routed = routing.source();
        if (routed != null) {
            config.servers.stream().filter(s -> s.port == routed.port() && s.host.equals(routed.host())).findFirst()
                    .ifPresent(s -> monitor.setElectedSource(s.name));
        }
        monitor.addListener(this::onSnapshot);
    }

    public ReportHistory reports() {
        return history;
    }

    /**
     * In a cluster: the engine reacts to the monitor and runs procedures only while {@code decides} says so
     * (this node leads); otherwise procedures are refused with {@code why}.
     */
    /**
     * In a cluster: whether this node leads right now; a running procedure stops before its next step (and changes
     * nothing more) once it does not. Unlike {@link #decideOnlyWhen}, true as soon as the node is elected and has
     * caught up, so that it can finish a procedure a previous leader left.
     */
    public void leadOnlyWhile(java.util.function.BooleanSupplier leads) {
        this.leads = leads;
    }

    public void decideOnlyWhen(java.util.function.BooleanSupplier decides, java.util.function.Supplier<String> why) {
        this.decides = decides;
        this.notDeciding = why;
    }

    /** Told of every finished report (a cluster's leader keeps the last one's headline in ZooKeeper). */
    public void onReport(java.util.function.Consumer<FailoverReport> listener) {
        this.reported = listener;
    }

    /**
     * Takes over the anti-flapping state of a previous leader: the source last changed hands at {@code at},
     * so failover.blockSeconds counts from there and a new leader does not fail over again at once.
     */
    public void restoreLastFailover(Instant at) {
        if (at.isAfter(lastFailoverAt)) {
            lastFailoverAt = at;
        }
    }

    public boolean busy() {
        return procedure.isLocked();
    }

    /** Runs {@code action} if no procedure runs, holding the procedure lock meanwhile; false if one runs. */
    public boolean whenIdle(Runnable action) {
        if (!procedure.tryLock()) {
            return false;
        }
        try {
            action.run();
            return true;
        } finally {
            procedure.unlock();
        }
    }

    /** Failover because the source is lost; {@code target} null lets Baton choose. */
    public FailoverReport failover(String target, String trigger) {
        return failover(target, trigger, null);
    }

    /** As {@link #failover(String, String)}, telling {@code steps} (may be null) of each step as it runs. */
    public FailoverReport failover(String target, String trigger, FailoverReport.Listener steps) {
        return runExclusive(FailoverReport.Kind.FAILOVER, trigger,
                r -> new FailoverProcedure(config, monitor, routing, r, target, lastSeen).acked(ackedWrites), true, steps);
    }

    /** durability.mode replica: what a failover must find on its candidate (null: nothing is tracked). */
    public void ackedWrites(AckedWrites acked) {
        this.ackedWrites = acked;
    }

    /** Planned switchover to {@code target} with the source alive. */
    public FailoverReport switchover(String target, String trigger) {
        return switchover(target, trigger, null);
    }

    /** As {@link #switchover(String, String)}, telling {@code steps} (may be null) of each step as it runs. */
    public FailoverReport switchover(String target, String trigger, FailoverReport.Listener steps) {
        return runExclusive(FailoverReport.Kind.SWITCHOVER, trigger,
                r -> new SwitchoverProcedure(config, monitor, routing, r, target), true, steps);
    }

    /** Makes {@code server} a replica of the current source; {@code force} replicates despite errant transactions. */
    public FailoverReport rejoin(String server, boolean force, String trigger) {
        return rejoin(server, force, trigger, null);
    }

    /** As {@link #rejoin(String, boolean, String)}, telling {@code steps} (may be null) of each step as it runs. */
    public FailoverReport rejoin(String server, boolean force, String trigger, FailoverReport.Listener steps) {
        return runExclusive(FailoverReport.Kind.REJOIN, trigger + (force ? ", forced" : ""),
                r -> new RejoinProcedure(config, monitor, routing, r, server, force, history.lastReplacing(server)), false,
                steps);
    }

    /**
     * Finishes a switchover or failover ({@code kind} "switchover" or "failover") that a process which decided before
     * this one (a cluster's previous leader) left in its middle, from the plan it recorded ({@link FinishProcedure}).
     * The caller, a newly elected leader, runs it before this engine decides anything else, so it is not refused
     * by {@link #decideOnlyWhen} meanwhile.
     */
    public FailoverReport finishLeftBehind(String kind, String oldSource, String target, String leftBy) {
        FailoverReport.Kind k = "failover".equals(kind) ? FailoverReport.Kind.FAILOVER : FailoverReport.Kind.SWITCHOVER;
        return runExclusive(k, "finishing the " + kind + " " + oldSource + " -> " + target + " that " + leftBy
                        + " left in its middle",
                r -> new FinishProcedure(config, monitor, routing, r, kind, oldSource, target), true, null, false);
    }

    private FailoverReport runExclusive(FailoverReport.Kind kind, String trigger, Function<FailoverReport, Procedure> make,
                                        boolean movesSource, FailoverReport.Listener steps) {
        return runExclusive(kind, trigger, make, movesSource, steps, true);
    }

    private FailoverReport runExclusive(FailoverReport.Kind kind, String trigger, Function<FailoverReport, Procedure> make,
                                        boolean movesSource, FailoverReport.Listener steps, boolean askDecides) {
        String oldSource = monitor.electedSource();
        if (!procedure.tryLock()) {
            throw new IllegalStateException("another failover, switchover or rejoin is running; try again when it is done");
        }
        if (closing) {
            procedure.unlock();
            throw new IllegalStateException("Baton is stopping: no new " + kind.name().toLowerCase(java.util.Locale.ROOT));
        }
        if (askDecides && !decides.getAsBoolean()) {
            procedure.unlock();
            throw new IllegalStateException(notDeciding.get());
        }
        runner = Thread.currentThread();
        if (movesSource) {
            repointRetries.clear(); // the source changes hands: what earlier failovers left behind is this one's now
        }
        FailoverReport report = new FailoverReport(history.nextId(), kind, trigger, oldSource);
        report.listener(steps);
        try {
            if (movesSource) {
                monitor.holdFencing(true); // the source changes hands: the monitor must not fence either side meanwhile
            }
            try (Procedure p = make.apply(report)) {
                p.stopping(() -> closing).leading(leads).fault(fault).run();
                if (p instanceof FailoverProcedure f) {
                    for (FailoverProcedure.Pending x : f.pendingRepoints()) {
                        repointRetries.put(x.server(), new PendingRetry(x, report.id(), 0, Instant.now()));
                        log.info("failover #{} left {} behind: it is repointed at {} in the background", report.id(),
                                x.server(), x.source());
                    }
                }
            }
            return report;
        } catch (RuntimeException e) {
            report.fail("(engine)", Procedure.message(e));
            log.error("{} failed unexpectedly", kind, e);
            return report;
        } finally {
            if (movesSource) {
                afterAttempt(report);
                monitor.holdFencing(false);
            }
            // A failover fenced its lost source's held OKs (AckedWrites#fence): lifted once it ended routed, or without
            // promoting anyone. Promoted but not routed, the fence stays: Baton still routes to the lost source, and a
            // replica's word must not release a commit the promoted server may lack (once routing follows it, only
            // its own acknowledgement counts); the next procedure that ends lifts it.
            if (ackedWrites != null && !(report.kind() == FailoverReport.Kind.FAILOVER && report.newSource() != null
                    && !report.isRouted())) {
                ackedWrites.unfence();
            }
            history.add(report);
            log.info("{}", report.describe().strip());
            try {
                reported.accept(report);
            } catch (RuntimeException e) {
                log.warn("report #{} not shared with the cluster: {}", report.id(), e.getMessage());
            }
            runner = null;
            procedure.unlock();
        }
    }

    /**
     * Starts failover.blockSeconds when the source changed hands; after a failover that failed without
     * promoting anyone, sets when the next automatic attempt may start instead.
     */
    private void afterAttempt(FailoverReport report) {
        Instant now = Instant.now();
        if (report.newSource() != null && report.isRouted()) {
            lastFailoverAt = now;
            failedInARow = 0;
            retryAt = Instant.EPOCH;
            promotedUnrouted = null;
        } else if (report.newSource() != null) {
            // Promoted but not routed (it did not answer when the attempt ended): no blockSeconds, which would
            // hold the gate closed on the dead old source. Routing follows it once the monitor sees it
            // writable; if it is dead, the next automatic attempt replaces it after the backoff.
            promotedUnrouted = report.newSource();
            int n = ++failedInARow;
            Duration delay = retryDelay(config, n);
            retryAt = now.plus(delay);
            log.warn("{} #{} promoted {} but could not route to it: routing follows it once the monitor sees it writable;"
                    + " failover.blockSeconds does not apply", report.kind().name().toLowerCase(java.util.Locale.ROOT),
                    report.id(), report.newSource());
        } else if (report.kind() == FailoverReport.Kind.FAILOVER && !report.succeeded()) {
            int n = ++failedInARow;
            Duration delay = retryDelay(config, n);
            retryAt = now.plus(delay);
            log.warn("failover #{} promoted nobody ({} failed in a row): failover.blockSeconds does not apply; if the source"
                    + " stays dead the next automatic attempt starts in {} ms", report.id(), n, delay.toMillis());
        }
    }

    /**
     * How long the engine waits before another automatic failover after {@code failedInARow} attempts
     * that promoted nobody: as long as detecting a dead source takes (at least 1 s), doubling with each
     * failure, at most failover.blockSeconds.
     */
    static Duration retryDelay(BatonConfig c, int failedInARow) {
        long cap = Math.max(1000, c.failover.blockSeconds * 1000L);
        long base = Math.max(1000, saturatedMultiply(c.monitor.interval.toMillis(), c.monitor.failedChecks));
        long delay = saturatedMultiply(base, 1L << Math.min(Math.max(0, failedInARow - 1), 20));
        return Duration.ofMillis(Math.min(delay, Math.max(base, cap)));
    }

    private static long saturatedMultiply(long a, long b) {
        long high = Math.multiplyHigh(a, b);
        long low = a * b;
        return high == 0 && low >= 0 ? low : Long.MAX_VALUE;
    }

    /** Tells {@code steps} of each step of the procedures the engine starts by itself (automatic failover, rejoin). */
    void watchAutomatic(FailoverReport.Listener steps) {
        this.automaticSteps = steps;
    }

    /** Called on the monitor's thread after each round. */
    private void onSnapshot(TopologySnapshot snapshot) {
        lastSeen.record(snapshot);
        if (procedure.isLocked() || !decides.getAsBoolean()) {
            return;
        }
        SourceHealth health = SourceHealth.assess(snapshot, config.monitor.failedChecks);
        if (health.verdict() == SourceHealth.Verdict.ALIVE && failedInARow > 0) {
            failedInARow = 0;
            retryAt = Instant.EPOCH;
        }
        if (health.verdict() == SourceHealth.Verdict.DEAD) {
            onDeadSource(health);
        } else if (health.verdict() == SourceHealth.Verdict.SUSPECT) {
            notice("source " + health.source() + " suspect: " + health.reason());
        }
        if (health.verdict() == SourceHealth.Verdict.ALIVE) {
            routePromoted(snapshot);
            retryRepoints();
        }
        if (config.failover.autoRejoin && health.verdict() == SourceHealth.Verdict.ALIVE) {
            autoRejoin(snapshot);
        }
    }

    /** A promoted server the attempt could not route to, now seen writable: route to it and open the gate. */
    private void routePromoted(TopologySnapshot snapshot) {
        String name = promotedUnrouted;
        if (name == null || !name.equals(monitor.electedSource())
                || snapshot.server(name).filter(ServerState::writable).isEmpty()) {
            return;
        }
        background.submit(() -> {
            if (!procedure.tryLock()) {
                return; // a procedure runs: the next round tries again
            }
            try {
                if (!name.equals(promotedUnrouted) || !name.equals(monitor.electedSource())) {
                    return; // a later procedure decided meanwhile
                }
                BatonConfig.Server s = config.server(name);
                RoutingControl.MigrationSummary m = routing.switchTo(new Endpoint(s.name, s.host, s.port), config.gate.maxWait);
                routing.openGate();
                lastFailoverAt = Instant.now();
                failedInARow = 0;
                retryAt = Instant.EPOCH;
                promotedUnrouted = null;
                history.all().stream().filter(r -> name.equals(r.newSource()) && r.kind() != FailoverReport.Kind.REJOIN)
                        .findFirst().ifPresent(FailoverReport::routed);
                log.warn("{} (promoted by the last failover) answers and is writable: routed to it ({} session(s) moved,"
                        + " {} failed) and the gate is open", name, m.moved(), m.failed());
            } catch (RuntimeException e) {
                log.error("routing to {} (promoted by the last failover) failed; the next monitor round tries again", name, e);
            } finally {
                procedure.unlock();
            }
        });
    }

    /** Repoints, one at a time in the background, the followers failovers left behind whose retry is due. */
    private void retryRepoints() {
        if (repointRetries.isEmpty() || closing) {
            return;
        }
        Instant now = Instant.now();
        PendingRetry due = repointRetries.values().stream().filter(p -> !now.isBefore(p.nextAt())).findFirst().orElse(null);
        if (due == null || !retryPending.compareAndSet(false, true)) {
            return;
        }
        background.submit(() -> {
            try {
                retryRepoint(due);
            } finally {
                retryPending.set(false);
            }
        });
    }

    private void retryRepoint(PendingRetry due) {
        String server = due.pending().server();
        if (repointRetries.get(server) != due) {
            return; // a procedure moved the source meanwhile and dropped it (RESET MASTER reuses file names)
        }
        if (!due.pending().source().equals(monitor.electedSource())) {
            repointRetries.remove(server, due);
            log.warn("{} is no longer repointed at {} (failover #{}): the source is {} now", server, due.pending().source(),
                    due.failoverId(), monitor.electedSource());
            return;
        }
        FailoverReport r;
        RepointRetry[] made = new RepointRetry[1];
        try {
            r = runExclusive(FailoverReport.Kind.REJOIN, "retry " + (due.failures() + 1) + " of failover #" + due.failoverId()
                    + ": repoint " + server + " at " + due.pending().source(),
                    rep -> made[0] = new RepointRetry(config, monitor, routing, rep, due.pending(), due.failoverId()), false,
                    automaticSteps);
        } catch (IllegalStateException busy) {
            return; // another procedure runs: the next round tries again
        }
        int n = due.failures() + 1;
        if (r.succeeded()) {
            repointRetries.remove(server, due);
            log.info("{} replicates from {}: failover #{} is complete", server, due.pending().source(), due.failoverId());
        } else if ((made[0] != null && made[0].refusedForGood()) || n >= MAX_REPOINT_RETRIES) {
            repointRetries.remove(server, due);
            log.warn("{} is not repointed at {} after {} retr{} ({}): no further retry; rejoin it by hand", server,
                    due.pending().source(), n, n == 1 ? "y" : "ies", r.failure());
        } else {
            Duration delay = retryDelay(config, n);
            repointRetries.replace(server, due, new PendingRetry(due.pending(), due.failoverId(), n, Instant.now().plus(delay)));
            log.warn("repointing {} at {} failed ({} in a row): next retry in {} ms", server, due.pending().source(), n,
                    delay.toMillis());
        }
    }

    /** Followers left behind by failovers and not yet repointed (for the console and tests). */
    public java.util.List<String> pendingRepoints() {
        return java.util.List.copyOf(new java.util.TreeSet<>(repointRetries.keySet()));
    }

    /** Tests: a fault run as each step of every procedure starts (what it throws fails the step). */
    void injectFault(Procedure.Fault f) {
        this.fault = f == null ? (r, s) -> { } : f;
    }

    private void onDeadSource(SourceHealth health) {
        if (!config.failover.auto) {
            notice("source " + health.source() + " is dead (" + health.reason() + "); failover.auto is off: run failover");
            return;
        }
        Duration since = Duration.between(lastFailoverAt, Instant.now());
        if (since.getSeconds() < config.failover.blockSeconds) {
            notice("source " + health.source() + " is dead (" + health.reason() + "), but the last failover was "
                    + since.getSeconds() + " s ago: no automatic failover within failover.blockSeconds ("
                    + config.failover.blockSeconds + " s); run failover to override");
            return;
        }
        if (Instant.now().isBefore(retryAt)) {
            notice("source " + health.source() + " is dead; the last " + failedInARow
                    + " failover attempt(s) promoted nobody (see their reports): next automatic attempt at " + retryAt
                    + "; run failover to try now");
            return;
        }
        if (autoPending.compareAndSet(false, true)) {
            log.warn("source {} is dead: {}; automatic failover", health.source(), health.reason());
            background.submit(() -> {
                try {
                    failover(null, "automatic: " + health.reason(), automaticSteps);
                } catch (IllegalStateException busy) {
                    log.info("automatic failover skipped: {}", busy.getMessage());
                } finally {
                    autoPending.set(false);
                }
            });
        }
    }

    private void autoRejoin(TopologySnapshot snapshot) {
        for (ServerState s : snapshot.servers()) {
            if (s.role() != Role.FENCED || s.name().equals(snapshot.electedSource())) {
                rejoinTried.remove(s.name());
                continue;
            }
            if (rejoinTried.add(s.name())) {
                log.info("{} is fenced and replicates from nobody; failover.autoRejoin is on: rejoining it", s.name());
                background.submit(() -> {
                    try {
                        rejoin(s.name(), false, "automatic rejoin", automaticSteps);
                    } catch (IllegalStateException busy) {
                        rejoinTried.remove(s.name());
                    }
                });
            }
        }
    }

    /** Logs a notice once until it changes (the monitor calls every interval). */
    private void notice(String text) {
        if (!text.equals(lastNotice)) {
            lastNotice = text;
            log.warn("{}", text);
        }
    }

    /**
     * Stops the engine. A running procedure is not interrupted at once: one that has not started promoting
     * stops before its next step (restoring the replicas), one past the promotion finishes routing; both
     * get at most gate.maxWait. Only then is it interrupted.
     */
    @Override
    public void close() {
        closing = true;
        background.shutdown();
        try {
            // Whoever runs it (the background thread, or an operator's console thread), wait for the running
            // procedure by taking its lock; no new one starts once closing is set.
            long waitMs = Math.max(1000, config.gate.maxWait.toMillis());
            if (procedure.tryLock(waitMs, TimeUnit.MILLISECONDS)) {
                procedure.unlock();
            } else {
                Thread t = runner;
                log.warn("a procedure still runs after gate.maxWait ({} ms) while Baton stops: interrupting it", waitMs);
                if (t != null) {
                    t.interrupt();
                }
            }
            background.shutdownNow();
            background.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            background.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
