package io.baton.admin.observe;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.FailoverReport;
import io.baton.admin.failover.ReportHistory;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ReplicaStatus;
import io.baton.admin.topology.Role;
import io.baton.admin.topology.ServerState;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.function.ToDoubleFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The meters of the parts around the proxy: each configured server as the monitor last saw it
 * (gauges read the latest snapshot at scrape time), and the failovers, switchovers and rejoins with
 * each step's duration (recorded from the finished reports, once each).
 *
 * <pre>
 * baton_server_up{server}                          1 reachable at the last check, 0 not
 * baton_server_role{server,role}                   1 for the server's role (source, replica, fenced, unknown), 0 for the others
 * baton_server_replication_lag_seconds{server}     Seconds_Behind_Source; NaN when not replicating or unknown
 * baton_server_replication_thread_running{server,thread}  1 while the io / sql thread runs
 * baton_procedures_total{kind,outcome}             failover / switchover / rejoin, succeeded / failed
 * baton_procedure_duration_seconds{kind,outcome}   whole procedures
 * baton_procedure_step_duration_seconds{kind,step,result}  each named step (server names replaced by "server")
 * </pre>
 */
final class NodeMeters {
    private final MeterRegistry registry;
    private final Monitor monitor;
    private final ReportHistory history;
    private final List<Pattern> serverNames = new ArrayList<>();
    private long lastRecorded;

    NodeMeters(MeterRegistry registry, BatonConfig config, Monitor monitor, ReportHistory history) {
        this.registry = registry;
        this.monitor = monitor;
        this.history = history;
        for (BatonConfig.Server s : config.servers) {
            bindServer(s.name);
            serverNames.add(Pattern.compile("(?<![\\w-])" + Pattern.quote(s.name) + "(?![\\w-])"));
        }
        for (FailoverReport.Kind k : FailoverReport.Kind.values()) {
            for (String outcome : new String[] {"succeeded", "failed"}) {
                procedures(k, outcome);
            }
        }
        // Reports kept from an earlier process are history, not events of this one.
        lastRecorded = history.all().stream().mapToLong(FailoverReport::id).max().orElse(0);
        monitor.addListener(s -> recordFinishedProcedures());
    }

    private void bindServer(String name) {
        gauge("baton.server.up", name, "1 if the server answered the monitor's last check", s -> s.reachable() ? 1 : 0);
        for (Role r : Role.values()) {
            Gauge.builder("baton.server.role", monitor, m -> {
                        ServerState s = state(m, name);
                        return s != null && s.role() == r ? 1 : 0;
                    })
                    .tags("server", name, "role", r.name().toLowerCase(Locale.ROOT))
                    .description("1 for the server's role at the monitor's last check").register(registry);
        }
        Gauge.builder("baton.server.replication.lag", monitor, m -> lag(state(m, name))).tag("server", name)
                .baseUnit("seconds").description("Seconds_Behind_Source; NaN when not replicating or unknown")
                .register(registry);
        for (String thread : new String[] {"io", "sql"}) {
            Gauge.builder("baton.server.replication.thread.running", monitor, m -> running(state(m, name), thread))
                    .tags("server", name, "thread", thread)
                    .description("1 while the replication thread runs").register(registry);
        }
    }

    private void gauge(String meter, String server, String description, ToDoubleFunction<ServerState> f) {
        Gauge.builder(meter, monitor, m -> {
            ServerState s = state(m, server);
            return s == null ? Double.NaN : f.applyAsDouble(s);
        }).tag("server", server).description(description).register(registry);
    }

    private static ServerState state(Monitor m, String name) {
        return m.snapshot().server(name).orElse(null);
    }

    private static double lag(ServerState s) {
        ReplicaStatus r = s == null || !s.reachable() ? null : s.replica();
        return r == null || r.secondsBehind() == null ? Double.NaN : r.secondsBehind();
    }

    private static double running(ServerState s, String thread) {
        ReplicaStatus r = s == null || !s.reachable() ? null : s.replica();
        if (r == null) {
            return 0;
        }
        return ("io".equals(thread) ? r.ioThreadRunning() : r.sqlThreadRunning()) ? 1 : 0;
    }

    /** Records the procedures finished since the last call (on the monitor's thread, and before each scrape). */
    synchronized void recordFinishedProcedures() {
        List<FailoverReport> all = history.all(); // newest first
        for (int i = all.size() - 1; i >= 0; i--) {
            FailoverReport r = all.get(i);
            if (r.id() <= lastRecorded || r.outcome() == FailoverReport.Outcome.RUNNING) {
                continue;
            }
            lastRecorded = r.id();
            String outcome = r.succeeded() ? "succeeded" : "failed";
            procedures(r.kind(), outcome).increment();
            Timer.builder("baton.procedure.duration").tags("kind", kind(r.kind()), "outcome", outcome)
                    .description("Failovers, switchovers and rejoins from start to end").register(registry)
                    .record(r.duration().toMillis(), TimeUnit.MILLISECONDS);
            for (FailoverReport.StepRecord s : r.steps()) {
                Timer.builder("baton.procedure.step.duration")
                        .tags("kind", kind(r.kind()), "step", stepTag(s.name()), "result", s.ok() ? "ok" : "failed")
                        .description("Each named step of a procedure").register(registry)
                        .record(s.durationMillis(), TimeUnit.MILLISECONDS);
            }
        }
    }

    private Counter procedures(FailoverReport.Kind k, String outcome) {
        return Counter.builder("baton.procedures").tags("kind", kind(k), "outcome", outcome)
                .description("Failovers, switchovers and rejoins run, by outcome").register(registry);
    }

    private static String kind(FailoverReport.Kind k) {
        return k.name().toLowerCase(Locale.ROOT);
    }

    /** The step's name with server names replaced ("fence db1" becomes "fence server"), to bound the tag's values. */
    String stepTag(String step) {
        String out = step;
        for (Pattern p : serverNames) {
            out = p.matcher(out).replaceAll(Matcher.quoteReplacement("server"));
        }
        return out;
    }
}
