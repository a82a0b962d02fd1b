package io.baton.admin.console;

import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.FailoverReport;
import io.baton.admin.failover.PreflightChecks;
import io.baton.admin.topology.ServerConnection;
import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.SourceHealth;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.dialect.Dialect;
import io.baton.proxy.ClientSession;
import io.baton.proxy.Gate;
import io.baton.proxy.ProxyServer;
import io.baton.proxy.routing.Endpoint;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Tag;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands after AUTH, each reading or driving one running {@link BatonNode}. A command either
 * answers (a {@link Reply}) or, for the long operations, streams each step as it runs and then
 * answers. Commands that change something are logged at INFO with who asked.
 */
final class ConsoleCommands {
    private static final Logger log = LoggerFactory.getLogger(ConsoleCommands.class);

    /** The session a command runs for. */
    interface Caller {
        /** For logs and procedure triggers: "console 127.0.0.1:54321". */
        String who();

        ConsoleOutput out();
    }

    private final BatonNode node;
    private final BatonConfig config;

    ConsoleCommands(BatonNode node) {
        this.node = node;
        this.config = node.config();
    }

    Reply run(CommandCatalog.Spec spec, List<String> args, Caller caller) {
        return switch (spec.name()) {
            case "FORMAT" -> format(args, caller);
            case "SHOW TOPOLOGY" -> noArgs(spec, args).orElseGet(this::showTopology);
            case "SHOW SERVERS" -> noArgs(spec, args).orElseGet(this::showServers);
            case "SHOW SESSIONS" -> noArgs(spec, args).orElseGet(this::showSessions);
            case "SHOW STATS" -> noArgs(spec, args).orElseGet(this::showStats);
            case "SHOW FAILOVERS" -> showFailovers(args);
            case "SHOW CONFIG" -> noArgs(spec, args).orElseGet(this::showConfig);
            case "FAILOVER" -> failover(args, caller);
            case "SWITCHOVER" -> switchover(args, caller);
            case "REJOIN" -> rejoin(args, caller);
            case "PAUSE" -> noArgs(spec, args).orElseGet(() -> pause(caller));
            case "RESUME" -> noArgs(spec, args).orElseGet(() -> resume(caller));
            case "SET" -> set(args, caller);
            default -> Reply.error("'" + spec.name() + "' is not handled here"); // AUTH, HELP, QUIT: the session's
        };
    }

    private static Optional<Reply> noArgs(CommandCatalog.Spec spec, List<String> args) {
        if (args.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Reply.error(spec.name() + " takes no arguments (got '" + String.join(" ", args) + "'): "
                + spec.syntax()));
    }

    // ------------------------------------------------------------------------------------ FORMAT

    private Reply format(List<String> args, Caller caller) {
        if (args.size() == 1) {
            String f = CommandCatalog.upper(args.get(0));
            if (f.equals("JSON") || f.equals("TABLE")) {
                caller.out().format(ConsoleOutput.Format.valueOf(f));
                return Reply.ok("format " + f).data("format", f);
            }
        }
        return Reply.error("FORMAT takes JSON or TABLE" + (args.isEmpty() ? "" : ", not '" + String.join(" ", args) + "'")
                + " (now " + caller.out().format() + ")");
    }

    // ------------------------------------------------------------------------------------ SHOW

    private TopologySnapshot snapshot() {
        TopologySnapshot s = node.monitor().snapshot();
        return s.servers().isEmpty() ? node.monitor().refresh() : s;
    }

    private Reply showTopology() {
        TopologySnapshot topo = snapshot();
        SourceHealth health = SourceHealth.assess(topo, config.monitor.failedChecks);
        Endpoint routed = node.proxy().source();
        Table servers = new Table("servers", null)
                .column("NAME", "name").column("ADDRESS", "address").column("ROLE", "role").column("HEALTH", "health")
                .column("LAG", "lag").column("IO", "ioThread").column("SQL", "sqlThread")
                .column("REPLICATES FROM", "replicatesFrom").column("BINLOG", "binlog");
        List<String> positions = new ArrayList<>();
        positions.add("positions:");
        for (ServerState s : topo.servers()) {
            Map<String, Object> r = servers.row();
            r.put("name", s.name());
            r.put("address", s.address());
            r.put("role", s.role().name().toLowerCase(Locale.ROOT) + (s.name().equals(topo.electedSource()) ? " *" : ""));
            r.put("health", health(s));
            r.put("reachable", s.reachable());
            r.put("consecutiveFailures", s.consecutiveFailures());
            r.put("checkMillis", s.checkMillis());
            r.put("error", s.error());
            r.put("version", s.version());
            r.put("serverId", s.reachable() ? s.serverId() : null);
            r.put("readOnly", s.reachable() ? s.readOnly() : null);
            r.put("superReadOnly", s.reachable() ? s.superReadOnly() : null);
            r.put("binlog", s.binlog() == null ? null : s.binlog().toString());
            var rep = s.replica();
            r.put("replicatesFrom", rep == null ? null : rep.sourceAddress());
            r.put("ioThread", rep == null ? null : rep.ioRunning());
            r.put("sqlThread", rep == null ? null : rep.sqlRunning());
            r.put("lag", rep == null ? null : rep.secondsBehind() == null ? "NULL" : rep.secondsBehind() + "s");
            r.put("lagSeconds", rep == null ? null : rep.secondsBehind());
            if (rep != null) {
                r.put("executed", rep.executed().toString());
                r.put("received", rep.received().toString());
                r.put("autoPosition", rep.autoPosition());
                r.put("lastIoError", rep.lastIoErrno() == 0 ? null : rep.lastIoErrno() + " " + rep.lastIoError());
                r.put("lastSqlError", rep.lastSqlErrno() == 0 ? null : rep.lastSqlErrno() + " " + rep.lastSqlError());
            }
            String gtids = null;
            if (s.reachable()) {
                if (s.dialect() == Dialect.MARIADB) {
                    gtids = "gtid_current_pos " + s.gtidCurrentPos() + ", gtid_slave_pos " + s.gtidSlavePos();
                    r.put("gtidCurrentPos", s.gtidCurrentPos().toString());
                    r.put("gtidSlavePos", s.gtidSlavePos().toString());
                } else if (s.gtidMode()) {
                    gtids = "gtid_executed " + (s.gtidExecuted().isEmpty() ? "''" : s.gtidExecuted().toString());
                    r.put("gtidExecuted", s.gtidExecuted().toString());
                    r.put("gtidPurged", s.gtidPurged().toString());
                }
            }
            StringBuilder p = new StringBuilder("  ").append(s.name()).append(": ");
            if (!s.reachable()) {
                p.append("unreachable");
            } else {
                p.append("binlog ").append(s.binlog() == null ? "off" : s.binlog().toString());
                if (rep != null) {
                    p.append(", executed ").append(rep.sourceAddress()).append(' ').append(rep.executed());
                }
                if (gtids != null) {
                    p.append(", ").append(gtids);
                }
                if (rep != null && rep.lastIoErrno() != 0) {
                    p.append(", IO error ").append(rep.lastIoErrno()).append(": ").append(rep.lastIoError());
                }
                if (rep != null && rep.lastSqlErrno() != 0) {
                    p.append(", SQL error ").append(rep.lastSqlErrno()).append(": ").append(rep.lastSqlError());
                }
            }
            positions.add(p.toString());
        }
        List<String> warnings = PreflightChecks.run(topo, config, null);
        List<String> head = new ArrayList<>();
        head.add("source: " + topo.source().map(ServerState::name).orElse("unknown") + " (" + health.verdict().name()
                .toLowerCase(Locale.ROOT) + ": " + health.reason() + "); proxy routes to "
                + (routed == null ? "nothing" : routed.name() + " " + routed.address()) + "; gate "
                + (node.proxy().isGateOpen() ? "open" : "CLOSED (" + node.proxy().gate().reason() + ")")
                + (node.engine().busy() ? "; a procedure is running" : ""));
        head.add("checked " + ago(topo.takenAt()) + " ago; * marks the elected source");
        List<String> warn = new ArrayList<>();
        warnings.forEach(w -> warn.add("warning: " + w));
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("name", topo.source().map(ServerState::name).orElse(null));
        source.put("health", health.verdict().name().toLowerCase(Locale.ROOT));
        source.put("reason", health.reason());
        return Reply.ok(topo.servers().size() + " server(s), " + warnings.size() + " warning(s)")
                .lines(head).table(servers).lines(positions).lines(warn)
                .data("takenAt", topo.takenAt().toString())
                .data("source", source)
                .data("routedTo", routed == null ? null : routed.name())
                .data("gateOpen", node.proxy().isGateOpen())
                .data("procedureRunning", node.engine().busy())
                .data("warnings", warnings);
    }

    private String health(ServerState s) {
        if (!s.reachable()) {
            return "DOWN (" + s.consecutiveFailures() + " failed check" + (s.consecutiveFailures() == 1 ? "" : "s") + ": "
                    + s.error() + ")";
        }
        var rep = s.replica();
        if (rep != null && (rep.lastIoErrno() != 0 || rep.lastSqlErrno() != 0)) {
            return "replication error";
        }
        return "ok (" + s.checkMillis() + " ms)";
    }

    private Reply showServers() {
        TopologySnapshot topo = snapshot();
        Endpoint routed = node.proxy().source();
        Table t = new Table("servers", null).column("NAME", "name").column("ADDRESS", "address").column("ROLE", "role")
                .column("CONFIGURED", "configuredRole").column("PRIORITY", "priority").column("PROMOTE", "promote")
                .column("ROUTED", "routed").column("STATE", "state").column("VERSION", "version")
                .column("READ ONLY", "readOnly");
        for (BatonConfig.Server c : config.servers) {
            Optional<ServerState> s = topo.server(c.name);
            Map<String, Object> r = t.row();
            r.put("name", c.name);
            r.put("address", c.host + ":" + c.port);
            r.put("role", s.map(x -> x.role().name().toLowerCase(Locale.ROOT)).orElse("unknown"));
            r.put("configuredRole", c.role);
            r.put("priority", c.priority);
            r.put("promote", c.neverPromote ? "never" : "yes");
            r.put("neverPromote", c.neverPromote);
            r.put("routed", routed != null && routed.port() == c.port && routed.host().equals(c.host));
            r.put("state", s.map(x -> x.reachable() ? "reachable" : "unreachable").orElse("not checked yet"));
            r.put("version", s.map(ServerState::version).orElse(null));
            r.put("readOnly", s.filter(ServerState::reachable).map(ServerState::readOnly).orElse(null));
        }
        return Reply.ok(config.servers.size() + " server(s)").table(t);
    }

    private Reply showSessions() {
        ProxyServer proxy = node.proxy();
        long now = System.currentTimeMillis();
        Table t = new Table("sessions", null).column("ID", "id").column("USER", "user").column("SCHEMA", "schema")
                .column("STATE", "state").column("BACKEND", "backend").column("CLIENT", "client").column("AGE", "age")
                .column("COMMANDS", "commands").column("NOTE", "note");
        List<ClientSession> all = new ArrayList<>(proxy.sessions().all());
        all.sort(Comparator.comparingLong(ClientSession::id));
        for (ClientSession s : all) {
            Map<String, Object> r = t.row();
            var st = s.state();
            r.put("id", s.id());
            r.put("user", st.user());
            r.put("schema", st.schema());
            r.put("state", s.phase().toLowerCase(Locale.ROOT) + (st.inTransaction() ? ", in transaction" : ""));
            r.put("phase", s.phase());
            r.put("inTransaction", st.inTransaction());
            r.put("backend", s.backendAddress());
            r.put("client", s.clientAddress());
            r.put("age", age(now - s.createdAtMillis()));
            r.put("ageMillis", now - s.createdAtMillis());
            r.put("commands", s.commands());
            r.put("preparedStatements", st.statementCount());
            r.put("note", st.unmovableReason());
        }
        return Reply.ok(all.size() + " session(s)").table(t);
    }

    private Reply showStats() {
        ProxyServer proxy = node.proxy();
        Gate gate = proxy.gate();
        Endpoint routed = proxy.source();
        List<FailoverReport> reports = node.engine().reports().all();
        Table stats = new Table("stats", null).column("STAT", "stat").column("VALUE", "value");
        stat(stats, "sessions.open", proxy.sessions().open());
        stat(stats, "routed.to", routed == null ? null : routed.name() + " " + routed.address());
        stat(stats, "gate", gate.isOpen() ? "open" : "closed: " + gate.reason());
        stat(stats, "gate.closures", gate.closures());
        stat(stats, "gate.waiting", gate.waiting());
        stat(stats, "gate.waited.ms", gate.waitedNanos() / 1_000_000);
        stat(stats, "migrations.moved", (long) proxy.metrics().migrations(true));
        stat(stats, "migrations.failed", (long) proxy.metrics().migrations(false));
        for (FailoverReport.Kind k : FailoverReport.Kind.values()) {
            String name = k.name().toLowerCase(Locale.ROOT) + "s";
            stat(stats, name + ".succeeded", reports.stream().filter(r -> r.kind() == k && r.succeeded()).count());
            stat(stats, name + ".failed", reports.stream().filter(r -> r.kind() == k
                    && r.outcome() == FailoverReport.Outcome.FAILED).count());
        }
        stat(stats, "procedure.running", node.engine().busy());
        stat(stats, "failover.auto", config.failover.auto);
        stat(stats, "monitor.checked.ms.ago", java.time.Duration.between(node.monitor().snapshot().takenAt(), Instant.now())
                .toMillis());
        Table meters = new Table("meters", "meters:").column("METER", "name").column("TAGS", "tags").column("VALUE", "value");
        List<Meter> list = new ArrayList<>(proxy.metrics().registry().getMeters());
        list.sort(Comparator.comparing((Meter m) -> m.getId().getName()).thenComparing(m -> m.getId().getTags().toString()));
        for (Meter m : list) {
            if (!m.getId().getName().startsWith("baton.")) {
                continue;
            }
            Map<String, Object> r = meters.row();
            r.put("name", m.getId().getName());
            r.put("tags", m.getId().getTags().stream().map(tag -> tag.getKey() + "=" + tag.getValue())
                    .collect(Collectors.joining(",")));
            Map<String, Object> values = new LinkedHashMap<>();
            for (Measurement x : m.measure()) {
                values.put(x.getStatistic().getTagValueRepresentation(), number(x.getValue()));
            }
            r.put("measurements", values);
            r.put("value", values.size() == 1 ? values.values().iterator().next() : values.entrySet().stream()
                    .map(e -> e.getKey() + "=" + e.getValue()).collect(Collectors.joining(" ")));
            r.put("tagMap", m.getId().getTags().stream().collect(Collectors.toMap(Tag::getKey, Tag::getValue,
                    (a, b) -> a, LinkedHashMap::new)));
        }
        return Reply.ok().table(stats).table(meters);
    }

    private static void stat(Table t, String name, Object value) {
        Map<String, Object> r = t.row();
        r.put("stat", name);
        r.put("value", value);
    }

    private static Object number(double v) {
        return v == Math.rint(v) && !Double.isInfinite(v) && Math.abs(v) < 1e15 ? (Object) (long) v : (Object) v;
    }

    private Reply showFailovers(List<String> args) {
        List<FailoverReport> all = node.engine().reports().all();
        if (args.isEmpty()) {
            Table t = new Table("reports", null).column("ID", "id").column("KIND", "kind").column("FROM", "oldSource")
                    .column("TO", "newSource").column("OUTCOME", "outcome").column("STARTED", "startedAt")
                    .column("MS", "durationMillis").column("TRIGGER", "trigger").column("FAILURE", "failure");
            for (FailoverReport r : all) {
                t.rows.add(reportJson(r));
            }
            return Reply.ok(all.size() + " report(s); SHOW FAILOVERS LAST shows the newest with its steps").table(t);
        }
        int n;
        if (args.size() == 1 && args.get(0).equalsIgnoreCase("LAST")) {
            n = 1;
        } else {
            try {
                n = args.size() == 1 ? Integer.parseInt(args.get(0)) : -1;
            } catch (NumberFormatException e) {
                n = -1;
            }
            if (n < 1 || n > 50) {
                return Reply.error("SHOW FAILOVERS takes LAST or a number of reports from 1 to 50, not '"
                        + String.join(" ", args) + "': SHOW FAILOVERS [LAST | n]");
            }
        }
        if (all.isEmpty()) {
            return Reply.ok("no failover, switchover or rejoin has run yet").data("reports", List.of());
        }
        List<FailoverReport> shown = all.subList(0, Math.min(n, all.size()));
        Reply reply = Reply.ok(shown.size() + " report(s)");
        List<Map<String, Object>> json = new ArrayList<>();
        for (FailoverReport r : shown) {
            json.add(reportJson(r));
            describe(reply, r);
        }
        return reply.data("reports", json);
    }

    /** A report as text: headline, steps table, then choice, positions, servers left out, warnings. */
    private static void describe(Reply reply, FailoverReport r) {
        reply.line(r.headline());
        Table steps = new Table("steps-" + r.id(), null).column("#", "n").column("STEP", "name").column("RESULT", "status")
                .column("MS", "durationMillis").column("DETAIL", "result");
        int i = 0;
        for (FailoverReport.StepRecord s : r.steps()) {
            Map<String, Object> row = steps.row();
            row.put("n", ++i);
            row.put("name", s.name());
            row.put("status", s.ok() ? "ok" : "FAILED");
            row.put("durationMillis", s.durationMillis());
            row.put("result", s.result());
        }
        reply.blocks.add(new Reply.TableBlock(steps)); // JSON carries the steps in the report object
        reply.lines(details(r));
    }

    private static List<String> details(FailoverReport r) {
        List<String> out = new ArrayList<>();
        if (r.choiceReason() != null) {
            out.add("choice: " + r.choiceReason());
        }
        r.positions().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.add("position " + e.getKey() + ": " + e.getValue()));
        r.leftOut().forEach(l -> out.add("left out " + l));
        r.errantTransactions().forEach((server, trx) -> out.add("errant transactions on " + server + ": " + trx));
        if (r.recovery() != null) {
            out.add("recovery: " + r.recovery());
        }
        r.retries().forEach(x -> out.add("retry: " + x));
        r.warnings().forEach(w -> out.add("warning: " + w));
        return out;
    }

    static Map<String, Object> reportJson(FailoverReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("kind", r.kind().name().toLowerCase(Locale.ROOT));
        m.put("trigger", r.trigger());
        m.put("oldSource", r.oldSource());
        m.put("newSource", r.newSource());
        m.put("outcome", r.outcome().name().toLowerCase(Locale.ROOT));
        m.put("startedAt", r.startedAt().toString());
        m.put("finishedAt", r.finishedAt() == null ? null : r.finishedAt().toString());
        m.put("durationMillis", r.duration().toMillis());
        m.put("stoppedAt", r.stoppedAt());
        m.put("failure", r.failure());
        m.put("candidate", r.candidate());
        m.put("choiceReason", r.choiceReason());
        List<Map<String, Object>> steps = new ArrayList<>();
        for (FailoverReport.StepRecord s : r.steps()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", s.name());
            x.put("startedAt", s.startedAt().toString());
            x.put("durationMillis", s.durationMillis());
            x.put("ok", s.ok());
            x.put("result", s.result());
            steps.add(x);
        }
        m.put("steps", steps);
        m.put("positions", new LinkedHashMap<>(r.positions()));
        m.put("leftOut", r.leftOut());
        m.put("errantTransactions", new LinkedHashMap<>(r.errantTransactions()));
        m.put("warnings", r.warnings());
        m.put("routed", r.isRouted());
        m.put("recovery", r.recovery());
        m.put("retries", r.retries());
        return m;
    }

    private Reply showConfig() {
        Table t = new Table("settings", null).column("KEY", "key").column("VALUE", "value").column("CHANGE", "change");
        for (Map.Entry<String, String> e : Settings.flatten(config)) {
            Map<String, Object> r = t.row();
            r.put("key", e.getKey());
            r.put("value", e.getValue());
            r.put("change", Settings.runtime(e.getKey()).isPresent() ? "SET" : "restart");
        }
        return Reply.ok("passwords hidden; CHANGE SET: SET <key> = <value> applies at once, restart: edit the file")
                .table(t).data("config", Settings.redacted(config));
    }

    // ------------------------------------------------------------------------------------ procedures

    private Reply failover(List<String> args, Caller caller) {
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
                        + "; servers: " + serverNames());
            }
        }
        if (target != null) {
            Optional<String> t = server(target);
            if (t.isEmpty()) {
                return unknownServer(target);
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
            Endpoint routed = node.proxy().source();
            if (!node.proxy().isGateOpen() && routed != null && routed.name().equals(name)) {
                node.proxy().openGate();
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

    private Reply switchover(List<String> args, Caller caller) {
        if (args.size() != 2 || !args.get(0).equalsIgnoreCase("TO")) {
            return Reply.error("SWITCHOVER needs TO <server>: SWITCHOVER TO <server>; healthy replicas now: "
                    + healthyReplicas(node.monitor().refresh()));
        }
        Optional<String> named = server(args.get(1));
        if (named.isEmpty()) {
            return unknownServer(args.get(1));
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

    private Reply rejoin(List<String> args, Caller caller) {
        boolean force = args.size() == 2 && args.get(1).equalsIgnoreCase("FORCE");
        if (args.isEmpty() || args.size() > 2 || (args.size() == 2 && !force)) {
            return Reply.error("REJOIN needs a server name, then FORCE if wanted: REJOIN <server> [FORCE]; servers: "
                    + serverNames());
        }
        Optional<String> named = server(args.get(0));
        if (named.isEmpty()) {
            return unknownServer(args.get(0));
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
        return reply.lines(details(r)).data("report", reportJson(r));
    }

    private static Reply busy() {
        return Reply.error("another failover, switchover or rejoin is running; try again when it is done (SHOW FAILOVERS"
                + " LAST shows it once finished)");
    }

    // ------------------------------------------------------------------------------------ gate and settings

    private Reply pause(Caller caller) {
        if (node.engine().busy()) {
            return Reply.error("a failover, switchover or rejoin is running and drives the gate itself; PAUSE when it is done");
        }
        if (!node.proxy().isGateOpen()) {
            return Reply.error("the gate is closed already (" + node.proxy().gate().reason() + "); RESUME opens it");
        }
        node.proxy().closeGate("paused from the admin console (" + caller.who() + ")");
        log.info("{}: PAUSE", caller.who());
        return Reply.ok("gate closed: new statements wait, each at most gate.maxWait ("
                + config.gate.maxWait.toMillis() + " ms) before an error; RESUME opens it").data("gateOpen", false);
    }

    private Reply resume(Caller caller) {
        if (node.engine().busy()) {
            return Reply.error("a failover, switchover or rejoin is running and opens the gate itself when it is safe");
        }
        if (node.proxy().isGateOpen()) {
            return Reply.ok("the gate is open already").data("gateOpen", true);
        }
        int waiting = node.proxy().gate().waiting();
        node.proxy().openGate();
        log.info("{}: RESUME", caller.who());
        return Reply.ok("gate open: " + waiting + " held statement(s) proceed").data("gateOpen", true)
                .data("released", waiting);
    }

    /** One SET at a time: the proxy's limits are rebuilt from the whole configuration on each change. */
    private synchronized Reply set(List<String> args, Caller caller) {
        if (args.size() != 3 || !args.get(1).equals("=")) {
            return Reply.error("SET needs <key> = <value>, e.g. SET failover.auto = false; runtime settings: "
                    + String.join(", ", Settings.runtimeKeys()));
        }
        String key = args.get(0);
        String value = args.get(2);
        Optional<Settings.Setting> s = Settings.runtime(key);
        if (s.isEmpty()) {
            String known = Settings.known(config, key);
            if (known != null) {
                return Reply.error(known + " cannot be changed at runtime: " + Settings.whyNotAtRuntime(known)
                        + ". Runtime settings: " + String.join(", ", Settings.runtimeKeys()));
            }
            List<String> close = new ArrayList<>();
            for (String k : Settings.allKeys(config)) {
                if (CommandCatalog.distance(k.toLowerCase(Locale.ROOT), key.toLowerCase(Locale.ROOT)) <= 3) {
                    close.add(k);
                }
            }
            return Reply.error("no setting '" + key + "'" + (close.isEmpty() ? "" : "; did you mean " + String.join(", ",
                    close.subList(0, Math.min(3, close.size()))) + "?") + " Runtime settings: "
                    + String.join(", ", Settings.runtimeKeys()) + " (SHOW CONFIG lists every key)");
        }
        Settings.Setting setting = s.get();
        Object before = setting.get().apply(config);
        try {
            setting.set().accept(config, value);
        } catch (IllegalArgumentException e) {
            return Reply.error(setting.key() + " takes " + setting.accepts() + ": " + e.getMessage());
        }
        setting.apply().accept(node);
        Object after = setting.get().apply(config);
        log.info("{}: SET {} = {} (was {})", caller.who(), setting.key(), after, before);
        return Reply.ok(setting.key() + " = " + after + " (was " + before + "); in effect now, not written to the"
                + " configuration file").data("key", setting.key()).data("value", after).data("previous", before);
    }

    // ------------------------------------------------------------------------------------ helpers

    /** The configured server of that name (exact, else case-insensitive). */
    private Optional<String> server(String name) {
        if (config.server(name) != null) {
            return Optional.of(name);
        }
        return config.servers.stream().map(s -> s.name).filter(n -> n.equalsIgnoreCase(name)).findFirst();
    }

    private Reply unknownServer(String name) {
        return Reply.error("no server named '" + name + "'; servers: " + serverNames());
    }

    private String serverNames() {
        return config.servers.stream().map(s -> s.name).collect(Collectors.joining(", "));
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

    static String age(long millis) {
        long s = millis / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        return String.format("%dd%02dh", s / 86_400, (s % 86_400) / 3600);
    }

    private static String ago(Instant t) {
        long ms = java.time.Duration.between(t, Instant.now()).toMillis();
        return ms < 1000 ? ms + " ms" : age(ms);
    }
}
