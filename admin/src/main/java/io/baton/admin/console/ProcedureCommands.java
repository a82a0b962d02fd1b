package io.baton.admin.console;

import io.baton.admin.BatonNode;
import io.baton.admin.console.ConsoleCommands.Caller;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.FailoverReport;
import io.baton.admin.topology.ServerConnection;
import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.SourceHealth;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands that drive the topology: FAILOVER, SWITCHOVER and REJOIN run a procedure and stream each
 * step as it runs; PAUSE and RESUME close and open the gate. Each is checked first (a clear refusal
 * names what to do instead) and logged at INFO with who asked.
 */
final class ProcedureCommands {
    private static final Logger log = LoggerFactory.getLogger(ConsoleCommands.class);

    private final BatonNode node;
    private final BatonConfig config;

    ProcedureCommands(BatonNode node) {
        this.node = node;
        this.config = node.config();
    }

    Reply failover(List<String> args, Caller caller) {
        Optional<Reply> follower = notLeader(); // before anything is checked or fenced: the leader decides
        if (follower.isPresent()) {
            return follower.get();
        }
        String target = null;
        boolean force = false;
        for (int i = 0; i < args.size(); i++) {
            String w = CommandCatalog.upper(args.get(i));
            if (w.equals("TO") && i + 1 < args.size() && target == null) {
                target = args.get(++i);
            } else if (w.equals("FORCE") && !force) {
                force = true;
            } else {
                return Reply.error("FAILOVER does not understand '" + args.get(i) + "': FAILOVER [TO <server>] [FORCE]"
                        + "; servers: " + ConsoleCommands.serverNames(config));
            }
        }
        if (target != null) {
            Optional<String> t = ConsoleCommands.server(config, target);
            if (t.isEmpty()) {
                return ConsoleCommands.unknownServer(config, target);
            }
            target = t.get();
        }
        TopologySnapshot topo = node.monitor().refresh();
        SourceHealth health = SourceHealth.assess(topo, config.monitor.failedChecks);
        ServerState source = topo.source().orElse(null);
        if (health.verdict() == SourceHealth.Verdict.ALIVE && !force) {
            return Reply.error("the source " + health.source() + " is healthy (" + health.reason() + "): FAILOVER is for a"
                    + " lost source. Use SWITCHOVER TO <replica> for a planned change (no write lost), or FAILOVER "
                    + (target == null ? "" : "TO " + target + " ") + "FORCE to fail over anyway (" + health.source()
                    + " is made read-only first; what its replicas have not received is lost)");
        }
        if (node.engine().busy()) {
            return busy();
        }
        String trigger = "manual (" + caller.who() + (force ? ", forced" : "") + ")";
        log.info("{}: FAILOVER{}{}", caller.who(), target == null ? "" : " TO " + target, force ? " FORCE" : "");
        String fenced = null;
        if (force && source != null && source.writable()) {
            long t0 = System.nanoTime();
            caller.out().progress("...   fence " + source.name() + " (FORCE: the source is alive)",
                    event("console", "fence " + source.name(), "started", null, null));
            try {
                node.monitor().fence(source.name());
                fenced = source.name();
                long ms = (System.nanoTime() - t0) / 1_000_000;
                caller.out().progress(String.format("ok   %6d ms  fence %s: read-only, so that nothing more is written there",
                        ms, source.name()), event("console", "fence " + source.name(), "ok", ms, "read-only"));
            } catch (SQLException e) {
                return Reply.error("FORCE: could not make the source " + source.name() + " read-only (" + e.getMessage()
                        + "); nothing was changed");
            }
        }
        FailoverReport r;
        try {
            r = node.engine().failover(target, trigger, stream(caller));
        } catch (IllegalStateException e) {
            if (fenced != null) {
                unfence(fenced, caller);
            }
            return Reply.error(e.getMessage());
        }
        if (!r.succeeded() && fenced != null && r.newSource() == null) {
            unfence(fenced, caller);
        }
        return procedureReply(r);
    }

    /** A forced failover that promoted nothing gives the old source back its writes. */
    private void unfence(String name, Caller caller) {
        long t0 = System.nanoTime();
        String result;
        try (ServerConnection c = ServerConnection.open(config, config.server(name), config.monitor.connectTimeout,
                config.monitor.queryTimeout)) {
            c.setReadOnly(false);
            Endpoint routed = node.routing().source();
            if (!node.routing().isGateOpen() && routed != null && routed.name().equals(name)) {
                node.routing().openGate();
            }
            result = name + " is writable again and the gate is open: nothing was promoted";
        } catch (SQLException | RuntimeException e) {
            result = "could not make " + name + " writable again (" + e.getMessage() + "): it stays read-only";
        }
        long ms = (System.nanoTime() - t0) / 1_000_000;
        caller.out().progress(String.format("%-4s %6d ms  unfence %s: %s", result.startsWith("could") ? "FAIL" : "ok", ms,
                name, result), event("console", "unfence " + name, result.startsWith("could") ? "failed" : "ok", ms, result));
        log.warn("{}: {}", caller.who(), result);
    }

    Reply switchover(List<String> args, Caller caller) {
        Optional<Reply> follower = notLeader(); // before anything is checked or fenced: the leader decides
        if (follower.isPresent()) {
            return follower.get();
        }
        if (args.size() != 2 || !args.get(0).equalsIgnoreCase("TO")) {
            return Reply.error("SWITCHOVER needs TO <server>: SWITCHOVER TO <server>; healthy replicas now: "
                    + healthyReplicas(node.monitor().refresh()));
        }
        Optional<String> named = ConsoleCommands.server(config, args.get(1));
        if (named.isEmpty()) {
            return ConsoleCommands.unknownServer(config, args.get(1));
        }
        String target = named.get();
        TopologySnapshot topo = node.monitor().refresh();
        ServerState source = topo.source().orElse(null);
        if (source == null || !source.writable()) {
            return Reply.error("no healthy source to switch over from (" + (source == null ? "none known"
                    : source.name() + " is " + (source.reachable() ? "read-only" : "unreachable")) + "): use FAILOVER");
        }
        ServerState t = topo.server(target).orElse(null);
        String why = null;
        if (target.equals(source.name())) {
            why = target + " is the source already";
        } else if (t == null || !t.reachable()) {
            why = target + " is unreachable" + (t == null ? "" : " (" + t.error() + ")");
        } else if (t.replica() == null) {
            why = target + " replicates from nobody (" + t.role().name().toLowerCase(Locale.ROOT) + "): REJOIN it first";
        } else if (!t.replicatesFrom(source.host(), source.port())) {
            why = target + " replicates from " + t.replica().sourceAddress() + ", not from the source " + source.name();
        } else if (!t.replica().bothThreadsRunning()) {
            why = target + "'s replication threads are not both running (IO " + t.replica().ioRunning() + ", SQL "
                    + t.replica().sqlRunning() + ")";
        } else if (config.server(target).neverPromote) {
            why = target + " is on the never-promote list";
        }
        if (why != null) {
            return Reply.error("SWITCHOVER TO " + target + " refused: " + why + ". It needs a healthy replica of "
                    + source.name() + "; healthy replicas now: " + healthyReplicas(topo));
        }
        if (node.engine().busy()) {
            return busy();
        }
        log.info("{}: SWITCHOVER TO {}", caller.who(), target);
        try {
            return procedureReply(node.engine().switchover(target, "manual (" + caller.who() + ")", stream(caller)));
        } catch (IllegalStateException e) {
            return Reply.error(e.getMessage());
        }
    }

    Reply rejoin(List<String> args, Caller caller) {
        Optional<Reply> follower = notLeader(); // before anything is checked or fenced: the leader decides
        if (follower.isPresent()) {
            return follower.get();
        }
        boolean force = args.size() == 2 && args.get(1).equalsIgnoreCase("FORCE");
        if (args.isEmpty() || args.size() > 2 || (args.size() == 2 && !force)) {
            return Reply.error("REJOIN needs a server name, then FORCE if wanted: REJOIN <server> [FORCE]; servers: "
                    + ConsoleCommands.serverNames(config));
        }
        Optional<String> named = ConsoleCommands.server(config, args.get(0));
        if (named.isEmpty()) {
            return ConsoleCommands.unknownServer(config, args.get(0));
        }
        if (node.engine().busy()) {
            return busy();
        }
        log.info("{}: REJOIN {}{}", caller.who(), named.get(), force ? " FORCE" : "");
        try {
            return procedureReply(node.engine().rejoin(named.get(), force, "manual (" + caller.who() + ")", stream(caller)));
        } catch (IllegalStateException e) {
            return Reply.error(e.getMessage());
        }
    }

    /** Streams each step to the caller as it starts and ends. */
    private static FailoverReport.Listener stream(Caller caller) {
        return new FailoverReport.Listener() {
            @Override
            public void stepStarted(FailoverReport report, String step) {
                caller.out().progress("...            " + step, event(kind(report), step, "started", null, null)
                        .with("report", report.id()));
            }

            @Override
            public void stepFinished(FailoverReport report, FailoverReport.StepRecord s) {
                caller.out().progress(String.format("%-4s %6d ms  %s: %s", s.ok() ? "ok" : "FAIL", s.durationMillis(),
                        s.name(), s.result()), event(kind(report), s.name(), s.ok() ? "ok" : "failed", s.durationMillis(),
                        s.result()).with("report", report.id()));
            }
        };
    }

    private static String kind(FailoverReport r) {
        return r.kind().name().toLowerCase(Locale.ROOT);
    }

    /** A progress event object: never has an "ok" key (that marks the end of a command). */
    private static Event event(String kind, String step, String status, Long millis, String result) {
        Event e = new Event();
        e.put("event", "step");
        e.put("kind", kind);
        e.put("step", step);
        e.put("status", status);
        if (millis != null) {
            e.put("durationMillis", millis);
        }
        if (result != null) {
            e.put("result", result);
        }
        return e;
    }

    private static final class Event extends LinkedHashMap<String, Object> {
        private static final long serialVersionUID = 1L;

        Event with(String k, Object v) {
            put(k, v);
            return this;
        }
    }

    private static Reply procedureReply(FailoverReport r) {
        Reply reply = r.succeeded() ? Reply.ok(r.headline()) : Reply.error(r.headline());
        return reply.lines(ReportView.details(r)).data("report", ReportView.reportJson(r));
    }

    private static Reply busy() {
        return Reply.error("another failover, switchover or rejoin is running; try again when it is done (SHOW FAILOVERS"
                + " LAST shows it once finished)");
    }

    Reply pause(Caller caller) {
        if (node.engine().busy()) {
            return Reply.error("a failover, switchover or rejoin is running and drives the gate itself; PAUSE when it is done");
        }
        Optional<Reply> follower = notLeader();
        if (follower.isPresent()) {
            return follower.get();
        }
        RoutingControl routing = node.routing();
        if (!routing.isGateOpen()) {
            return Reply.error("the gate is closed already (" + node.proxy().gate().reason() + "); RESUME opens it");
        }
        try {
            routing.closeGate("paused from the admin console (" + caller.who() + ")");
        } catch (IllegalStateException e) {
            return Reply.error(e.getMessage());
        }
        log.info("{}: PAUSE", caller.who());
        return Reply.ok("gate closed" + (node.cluster() == null ? "" : " on every node of the cluster")
                + ": new statements wait, each at most gate.maxWait (" + config.gate.maxWait.toMillis()
                + " ms) before an error; RESUME opens it").data("gateOpen", false);
    }

    Reply resume(Caller caller) {
        if (node.engine().busy()) {
            return Reply.error("a failover, switchover or rejoin is running and opens the gate itself when it is safe");
        }
        Optional<Reply> follower = notLeader();
        if (follower.isPresent()) {
            return follower.get();
        }
        RoutingControl routing = node.routing();
        if (routing.isGateOpen()) {
            return Reply.ok("the gate is open already").data("gateOpen", true);
        }
        int waiting = node.proxy().gate().waiting();
        try {
            routing.openGate();
        } catch (IllegalStateException e) {
            return Reply.error(e.getMessage());
        }
        log.info("{}: RESUME", caller.who());
        return Reply.ok("gate open: " + waiting + " held statement(s) proceed").data("gateOpen", true)
                .data("released", waiting);
    }

    /** In a cluster, only the leader closes and opens the cluster's gate: elsewhere, where the leader is. */
    private Optional<Reply> notLeader() {
        io.baton.admin.cluster.Cluster cluster = node.cluster();
        if (cluster == null || cluster.isLeader()) {
            return Optional.empty();
        }
        return Optional.of(Reply.error(cluster.notLeaderMessage()));
    }

    private String healthyReplicas(TopologySnapshot topo) {
        ServerState src = topo.source().orElse(null);
        if (src == null) {
            return "none (no source known)";
        }
        List<String> ok = topo.replicasOf(src).stream()
                .filter(s -> s.replica().bothThreadsRunning() && !config.server(s.name()).neverPromote)
                .map(ServerState::name).toList();
        return ok.isEmpty() ? "none" : String.join(", ", ok);
    }
}
