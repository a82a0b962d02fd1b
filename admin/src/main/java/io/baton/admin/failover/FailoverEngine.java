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
    private volatile Instant lastFailoverAt = Instant.EPOCH;
    private volatile String lastNotice;

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

    public boolean busy() {
        return procedure.isLocked();
    }

    /** Failover because the source is lost; {@code target} null lets Baton choose. */
    public FailoverReport failover(String target, String trigger) {
        return failover(target, trigger, null);
    }

    /** As {@link #failover(String, String)}, telling {@code steps} (may be null) of each step as it runs. */
    public FailoverReport failover(String target, String trigger, FailoverReport.Listener steps) {
        return runExclusive(FailoverReport.Kind.FAILOVER, trigger, r -> new FailoverProcedure(config, monitor, routing, r, target),
                true, steps);
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

    private FailoverReport runExclusive(FailoverReport.Kind kind, String trigger, Function<FailoverReport, Procedure> make,
                                        boolean movesSource, FailoverReport.Listener steps) {
        String oldSource = monitor.electedSource();
        if (!procedure.tryLock()) {
            throw new IllegalStateException("another failover, switchover or rejoin is running; try again when it is done");
        }
        FailoverReport report = new FailoverReport(history.nextId(), kind, trigger, oldSource);
        report.listener(steps);
        try {
            if (movesSource) {
                monitor.holdFencing(true); // the source changes hands: the monitor must not fence either side meanwhile
            }
            try (Procedure p = make.apply(report)) {
                p.run();
            }
            return report;
        } catch (RuntimeException e) {
            report.fail("(engine)", Procedure.message(e));
            log.error("{} failed unexpectedly", kind, e);
            return report;
        } finally {
            if (movesSource) {
                lastFailoverAt = Instant.now();
                monitor.holdFencing(false);
            }
            history.add(report);
            log.info("{}", report.describe().strip());
            procedure.unlock();
        }
    }

    /** Called on the monitor's thread after each round. */
    private void onSnapshot(TopologySnapshot snapshot) {
        if (procedure.isLocked()) {
            return;
        }
        SourceHealth health = SourceHealth.assess(snapshot, config.monitor.failedChecks);
        if (health.verdict() == SourceHealth.Verdict.DEAD) {
            onDeadSource(health);
        } else if (health.verdict() == SourceHealth.Verdict.SUSPECT) {
            notice("source " + health.source() + " suspect: " + health.reason());
        }
        if (config.failover.autoRejoin && health.verdict() == SourceHealth.Verdict.ALIVE) {
            autoRejoin(snapshot);
        }
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
        if (autoPending.compareAndSet(false, true)) {
            log.warn("source {} is dead: {}; automatic failover", health.source(), health.reason());
            background.submit(() -> {
                try {
                    failover(null, "automatic: " + health.reason());
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
                        rejoin(s.name(), false, "automatic rejoin");
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

    @Override
    public void close() {
        background.shutdownNow();
        try {
            background.awaitTermination(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
