package io.baton.admin.console;

import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.FailoverReport;
import io.baton.admin.failover.PreflightChecks;
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
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The SHOW commands: what one running {@link BatonNode} sees (topology, servers, sessions, counters,
 * failover reports, configuration), as a table and as JSON. They read; they change nothing.
 */
final class ShowCommands {
    private final BatonNode node;
    private final BatonConfig config;

    ShowCommands(BatonNode node) {
        this.node = node;
        this.config = node.config();
    }

    private TopologySnapshot snapshot() {
        TopologySnapshot s = node.monitor().snapshot();
        return s.servers().isEmpty() ? node.monitor().refresh() : s;
    }

    Reply showTopology() {
        TopologySnapshot topo = snapshot();
        SourceHealth health = SourceHealth.assess(topo, config.monitor.failedChecks);
        Endpoint routed = node.proxy().source();
        Table servers = new Table("servers", null)
                .column("NAME", "name").column("ADDRESS", "address").column("ROLE", "role").column("HEALTH", "health")
                .column("LAG", "lag").column("IO", "ioThread").column("SQL", "sqlThread")
                .column("REPLICATES FROM", "replicatesFrom").column("BINLOG", "binlog");
        if (node.durability() != null) {
            servers.column("ACKS", "acknowledges"); // durability.mode replica: acknowledged a commit in the last 10 s
        }
        io.baton.admin.reads.LagSampler lags = node.lags();
        if (lags != null) {
            servers.column("LAG MS", "lagMs"); // the read port's measure (docs/reads.md), not Seconds_Behind_Source
        }
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
            if (lags != null) {
                long ms = lags.lagMillis(s.name());
                r.put("lagMs", s.name().equals(topo.electedSource()) ? null : ms < 0 ? "?" : ms);
            }
            if (node.durability() != null) {
                r.put("acknowledges", s.name().equals(topo.electedSource()) ? "-"
                        : node.durability().acknowledges(s.name(), java.time.Duration.ofSeconds(10)) ? "yes" : "no");
            }
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
        head.add("checked " + ConsoleCommands.ago(topo.takenAt()) + " ago; * marks the elected source");
        String durability = node.durability() == null ? null : node.durability().status();
        if (durability != null && !durability.equals("replica")) {
            head.add("durability " + durability);
        }
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
                .data("durability", durability)
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

    Reply showServers() {
        TopologySnapshot topo = snapshot();
        Endpoint routed = node.proxy().source();
        Table t = new Table("servers", null).column("NAME", "name").column("ADDRESS", "address").column("ROLE", "role")
                .column("CONFIGURED", "configuredRole").column("PRIORITY", "priority").column("PROMOTE", "promote")
                .column("ROUTED", "routed").column("STATE", "state").column("VERSION", "version")
                .column("READ ONLY", "readOnly");
        io.baton.proxy.ReadPool reads = node.proxy().readPort() > 0 ? node.proxy().readPool() : null;
        Map<Endpoint, Integer> readSessions = reads == null ? Map.of() : reads.sessionsPerServer();
        if (reads != null) {
            t.column("READS", "reads").column("READ SESSIONS", "readSessions");
        }
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
            if (reads != null) {
                Endpoint e = new Endpoint(c.name, c.host, c.port);
                boolean isRouted = routed != null && routed.equals(e);
                // Who serves the read port now: an eligible replica, or why not.
                String serving = isRouted ? "source" : reads.serves(e) ? "yes" : reads.replicas().stream()
                        .filter(x -> x.endpoint().equals(e)).findFirst()
                        .map(x -> !x.healthy() ? "no: " + x.note() : x.lagMillis() < 0 ? "no: lag unknown"
                                : "no: lags " + x.lagMillis() + " ms")
                        .orElse("no");
                r.put("reads", serving);
                r.put("readSessions", readSessions.getOrDefault(e, 0));
            }
        }
        return Reply.ok(config.servers.size() + " server(s)").table(t);
    }

    Reply showCluster() {
        io.baton.admin.cluster.Cluster cluster = node.cluster();
        if (cluster == null) {
            return Reply.ok("this Baton runs alone (no cluster: section in its configuration)").data("cluster", null);
        }
        io.baton.admin.cluster.RouteRecord route = cluster.route();
        String leader = cluster.leaderId();
        long now = System.currentTimeMillis();
        Table t = new Table("nodes", null).column("NODE", "nodeId").column("ROLE", "role").column("PROXY", "proxy")
                .column("ADMIN", "admin").column("EPOCH", "appliedEpoch").column("GATE", "gate").column("SESSIONS", "sessions")
                .column("LEASE", "lease").column("SEEN", "seen");
        for (io.baton.admin.cluster.MemberStatus m : cluster.members()) {
            Map<String, Object> r = t.row();
            r.put("nodeId", m.nodeId());
            r.put("role", (m.nodeId().equals(leader) ? "leader" : "follower") + (m.nodeId().equals(cluster.nodeId()) ? " (this)" : ""));
            r.put("leader", m.nodeId().equals(leader));
            r.put("proxy", m.proxy());
            r.put("admin", m.admin());
            r.put("metrics", m.metrics());
            r.put("appliedEpoch", m.appliedEpoch());
            r.put("gate", m.fenced() ? "FENCED" : m.gateOpen() ? "open" : "closed");
            r.put("gateOpen", m.gateOpen());
            r.put("fenced", m.fenced());
            r.put("gateReason", m.gateReason());
            r.put("sessions", m.sessions());
            r.put("lease", m.fenced() ? "-" : m.leaseRemainingMillis() + " ms left");
            r.put("leaseRemainingMillis", m.leaseRemainingMillis());
            r.put("seen", ConsoleCommands.age(Math.max(0, now - m.updatedAtMillis())) + " ago");
            r.put("updatedAtMillis", m.updatedAtMillis());
        }
        List<String> head = new ArrayList<>();
        head.add("cluster " + cluster.name() + ": leader " + (leader == null ? "none elected" : leader) + ", epoch "
                + route.epoch() + ", source " + route.source() + ", gate " + (route.gateOpen() ? "open" : "closed ("
                + route.gateReason() + ")") + "; ZooKeeper " + cluster.node().connectionState() + ", lease age "
                + cluster.node().leaseAgeMillis() + " ms");
        if (route.lastReport() != null) {
            head.add("last procedure: " + route.lastReport());
        }
        Map<String, Object> json = new java.util.LinkedHashMap<>();
        json.put("name", cluster.name());
        json.put("node", cluster.nodeId());
        json.put("leader", leader);
        json.put("epoch", route.epoch());
        json.put("source", route.source());
        json.put("gateOpen", route.gateOpen());
        json.put("gateReason", route.gateReason());
        json.put("lastReport", route.lastReport());
        json.put("lastFailoverMillis", route.lastFailoverMillis());
        json.put("zookeeper", cluster.node().connectionState());
        json.put("fenced", cluster.node().fenced());
        json.put("leaseAgeMillis", cluster.node().leaseAgeMillis());
        return Reply.ok(t.rows.size() + " node(s)").lines(head).table(t).data("cluster", json);
    }

    Reply showSessions() {
        ProxyServer proxy = node.proxy();
        long now = System.currentTimeMillis();
        Table t = new Table("sessions", null).column("ID", "id").column("USER", "user").column("SCHEMA", "schema")
                .column("STATE", "state").column("BACKEND", "backend").column("CLIENT", "client").column("AGE", "age")
                .column("COMMANDS", "commands").column("NOTE", "note").column("POOL", "pool");
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
            r.put("age", ConsoleCommands.age(now - s.createdAtMillis()));
            r.put("ageMillis", now - s.createdAtMillis());
            r.put("commands", s.commands());
            r.put("preparedStatements", st.statementCount());
            r.put("note", st.unmovableReason());
            String pinned = s.pinnedBecause();
            r.put("pool", s.readOnly() ? null : pinned != null ? "pinned: " + pinned
                    : s.holdsBackend() ? "held" : "released");
            r.put("pinned", pinned);
        }
        return Reply.ok(all.size() + " session(s)").table(t);
    }

    Reply showStats() {
        ProxyServer proxy = node.proxy();
        Gate gate = proxy.gate();
        Endpoint routed = proxy.source();
        List<FailoverReport> reports = node.engine().reports().all();
        Table stats = new Table("stats", null).column("STAT", "stat").column("VALUE", "value");
        stat(stats, "sessions.open", proxy.sessions().open());
        stat(stats, "routed.to", routed == null ? null : routed.name() + " " + routed.address());
        stat(stats, "gate", gate.isOpen() ? "open" : "closed: " + gate.reason());
        stat(stats, "gate.closures", gate.closures());
        stat(stats, "pool.open", proxy.poolOpen().values().stream().mapToInt(Integer::intValue).sum());
        stat(stats, "pool.idle", proxy.poolIdle());
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

    Reply showFailovers(List<String> args) {
        List<FailoverReport> all = node.engine().reports().all();
        if (args.isEmpty()) {
            Table t = new Table("reports", null).column("ID", "id").column("KIND", "kind").column("FROM", "oldSource")
                    .column("TO", "newSource").column("OUTCOME", "outcome").column("STARTED", "startedAt")
                    .column("MS", "durationMillis").column("TRIGGER", "trigger").column("FAILURE", "failure");
            for (FailoverReport r : all) {
                t.rows.add(ReportView.reportJson(r));
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
            json.add(ReportView.reportJson(r));
            ReportView.describe(reply, r);
        }
        return reply.data("reports", json);
    }

    /** A report as text: headline, steps table, then choice, positions, servers left out, warnings. */
    Reply showConfig() {
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
}
