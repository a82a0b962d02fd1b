package io.baton.perf.drill;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.FailoverReport;
import io.baton.admin.topology.GtidSet;
import io.baton.sandbox.Sandbox;
import io.baton.sandbox.SandboxOptions;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.zk.Ensemble;
import io.baton.sandbox.zk.EnsembleOptions;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./baton bench failover}: a write load through Baton, then a kill -9 of the source (or a
 * switchover), repeated over rounds. Per round: the write-unavailability window (from the event to
 * the first acknowledged write that started after it), the longest pause between acknowledged
 * writes, errors by kind, reconnects, and acknowledged writes missing on the new source afterwards;
 * a timeline chart (writes and errors per 100 ms, failover steps marked) and JSON results. With
 * {@code --nodes N} (N &gt; 1) it runs a Baton cluster of N nodes on a local three-server ZooKeeper
 * ensemble, the load through every node, and reports each node's window (the round's is the longest).
 */
@Command(name = "failover", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Write load through Baton, then kill -9 of the source (or a switchover), over several rounds:",
                "unavailability window, errors, reconnects, lost acknowledged writes; JSON and a timeline PNG."})
public final class FailoverDrillCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--kind", defaultValue = "kill", description = {"kill (kill -9 of the source), switchover, or leader",
            "(--nodes 2 or more: kill -9 of the leading Baton node, each node its own JVM, jdbc writers) (default: ${DEFAULT-VALUE})."})
    String kind;
    @Option(names = "--rounds", defaultValue = "5", description = "Rounds; the table reports the median (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--duration", defaultValue = "9", description = "Seconds of load per round; the event comes after a third of it (default: ${DEFAULT-VALUE}).")
    int duration;
    @Option(names = "--threads", defaultValue = "4", description = "Writing client sessions of each client kind (default: ${DEFAULT-VALUE}).")
    int threads;
    @Option(names = "--clients", defaultValue = "jdbc,pymysql", split = ",",
            description = {"Client kinds writing at once: jdbc (Connector/J, reconnects after 100 ms), pymysql (PyMySQL,",
                    "reconnects after 10 ms: new logins all through the failure) (default: ${DEFAULT-VALUE})."})
    List<String> clients;
    @Option(names = "--nodes", defaultValue = "1",
            description = {"Baton nodes: 1 runs Baton alone; more run a cluster on a local three-server ZooKeeper",
                    "ensemble with the load through every node (default: ${DEFAULT-VALUE})."})
    int nodes;
    @Option(names = "--durability", defaultValue = "async",
            description = {"durability.mode of every Baton node: async, or replica (a commit's OK waits until a replica has",
                    "it: no acknowledged write lost) (default: ${DEFAULT-VALUE})."})
    String durability;
    @Option(names = "--mix", defaultValue = "autocommit",
            description = {"What the jdbc sessions write: autocommit (one INSERT each), or transactions (every other",
                    "session runs BEGIN, INSERT, a read by key, INSERT, COMMIT: transaction replay at work) (default: ${DEFAULT-VALUE})."})
    String mix;
    @Option(names = "--out", defaultValue = "bench-results", description = "Folder for JSON and PNG results (default: ${DEFAULT-VALUE}).")
    Path out;

    /** The longest time between two acknowledged writes, and when it began (System.nanoTime). */
    record Gap(long nanos, long fromNanos) {
        /** The longest gap between consecutive times of {@code sorted} (0 and its first, or 0, when fewer than two). */
        static Gap longest(List<Long> sorted) {
            Gap g = new Gap(0, sorted.isEmpty() ? 0 : sorted.get(0));
            for (int i = 1; i < sorted.size(); i++) {
                long d = sorted.get(i) - sorted.get(i - 1);
                if (d > g.nanos()) {
                    g = new Gap(d, sorted.get(i - 1));
                }
            }
            return g;
        }
    }

    /** One acknowledged write or error, as the client saw it, through node {@code node}. */
    private record Event(int node, long startNanos, long endNanos, int errno) {
    }

    /** What one round measured. */
    record Round(int round, String kind, String from, String to, boolean complete, String outcome, long unavailableMillis,
                 List<Long> unavailableMillisByNode, long longestPauseMillis, long longestPauseAtMillis, Map<String, Integer> errors, int reconnects, long acknowledged, long lostAcknowledged,
                 List<Map<String, Object>> steps, String report, List<String> notes, Map<String, Long> replays) {
    }

    @Override
    public Integer call() throws Exception {
        if (!kind.equals("kill") && !kind.equals("switchover") && !kind.equals("leader")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--kind must be kill, switchover or leader, not '"
                    + kind + "'");
        }
        if (kind.equals("leader") && nodes < 2) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--kind leader kills the leading Baton node:"
                    + " it needs --nodes 2 or more");
        }
        for (String k : clients) {
            if (!k.equals("jdbc") && !k.equals("pymysql")) {
                throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--clients takes jdbc and/or pymysql, not '" + k + "'");
            }
        }
        if (!durability.equals("async") && !durability.equals("replica")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--durability must be async or replica, not '"
                    + durability + "'");
        }
        if (!mix.equals("autocommit") && !mix.equals("transactions")) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--mix must be autocommit or transactions, not '"
                    + mix + "'");
        }
        if (nodes < 1 || nodes > 5) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--nodes must be between 1 and 5, not " + nodes);
        }
        if (rounds < 1 || threads < 1 || duration < 3) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "--rounds and --threads must be at least 1, --duration at least 3");
        }
        if (clients.contains("pymysql")) {
            PyMySqlLoad.check();
        }
        PrintWriter w = spec.commandLine().getOut();
        Files.createDirectories(out);
        Path dir = Files.createTempDirectory("baton-drill");
        w.println("drill: starting 1 source + 2 replicas (mysql80, gtid" + (durability.equals("replica") ? ", performance_schema on" : "") + ")" + (nodes > 1 ? ", a three-server ZooKeeper"
                + " ensemble and a Baton cluster of " + nodes + " nodes" : " and Baton") + " ...");
        w.flush();
        List<Round> results = new ArrayList<>();
        Ensemble zk = null;
        List<BatonNode> cluster = new ArrayList<>();
        // Resources close in reverse order: the Baton nodes stop before the servers they watch (a monitor that saw
        // its source go away first would log it as a failure until it stopped).
        try (SandboxTopology t = Sandbox.up(SandboxOptions.defaults(dir.resolve("sb")).withReplicas(2)
                // durability replica: the replicas report what they received (performance_schema, on by default in MySQL)
                .withPerformanceSchema(durability.equals("replica")));
             AutoCloseable nodesFirst = () -> closeNodes(cluster)) {
            if (nodes > 1) {
                zk = Ensemble.up(EnsembleOptions.defaults(dir.resolve("zk")).withNodes(3));
            }
            if (kind.equals("leader")) {
                return leaderDrill(w, t, zk, dir);
            }
            for (int i = 0; i < nodes; i++) {
                BatonConfig c = BatonConfig.load(Path.of(t.file().config()));
                c.proxy.port = Sandbox.freeLoopbackPort();
                c.proxy.readPort = c.proxy.readPort == 0 ? 0 : Sandbox.freeLoopbackPort();
                c.admin.port = Sandbox.freeLoopbackPort();
                c.metrics.port = Sandbox.freeLoopbackPort();
                c.failover.blockSeconds = 0;
                c.failover.reportDir = dir.resolve("reports-" + i).toString();
                c.durability.mode = durability;
                if (zk != null) {
                    c.cluster = new BatonConfig.Cluster();
                    c.cluster.zookeeper = zk.connectString();
                    c.cluster.name = "drill";
                    c.cluster.nodeId = "node" + (i + 1);
                }
                cluster.add(BatonNode.start(c, dir.resolve("reports-" + i), null));
            }
            awaitRouting(cluster);
            try (Connection conn = connect(cluster.get(0), t.user("app")); Statement s = conn.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS app.drill (id BIGINT PRIMARY KEY, session INT, at BIGINT)");
            }
            for (int r = 1; r <= rounds; r++) {
                Round round = round(r, t, cluster, w);
                results.add(round);
                w.printf("round %d: %s %s -> %s %s: unavailable %d ms%s, longest pause %d ms (from %d ms into the round), errors %s, reconnects %d, "
                                + "acknowledged %d, lost %s%s%n", r, round.kind(), round.from(), round.to(),
                        round.complete() ? "complete" : "INCOMPLETE (" + round.outcome() + ")", round.unavailableMillis(),
                        nodes > 1 ? " (by node " + round.unavailableMillisByNode() + ")" : "",
                        round.longestPauseMillis(), round.longestPauseAtMillis(), round.errors(), round.reconnects(), round.acknowledged(),
                        round.lostAcknowledged() < 0 ? "unknown (no new source routed)" : round.lostAcknowledged(),
                        round.replays().isEmpty() ? "" : ", open transactions " + round.replays());
                w.flush();
                if (!round.complete()) {
                    w.println("the drill stops after an incomplete round: the topology is not restored (" + round.outcome()
                            + "); the report of the failover and Baton's log above say where it stopped");
                    w.flush();
                    break;
                }
            }
        } finally {
            closeNodes(cluster);
            if (zk != null) {
                zk.close();
            }
            deleteQuietly(dir);
        }
        long[] unavailable = results.stream().mapToLong(Round::unavailableMillis).sorted().toArray();
        long[] pauses = results.stream().mapToLong(Round::longestPauseMillis).sorted().toArray();
        long lost = results.stream().mapToLong(Round::lostAcknowledged).filter(n -> n > 0).sum();
        long complete = results.stream().filter(Round::complete).count();
        w.printf("%n%s drill%s%s, %d rounds, %d writing sessions each of %s: %d of %d rounds complete, median unavailability"
                        + " %d ms (min %d, max %d), median longest pause %d ms, lost acknowledged writes %d%n", kind,
                nodes > 1 ? " through " + nodes + " Baton nodes (per round: the slowest node)" : "",
                durability.equals("replica") ? " with durability.mode replica" : "", results.size(), threads, String.join(" and ", clients), complete, results.size(),
                unavailable[unavailable.length / 2], unavailable[0], unavailable[unavailable.length - 1],
                pauses[pauses.length / 2], lost);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("kind", kind);
        json.put("nodes", nodes);
        json.put("durability", durability);
        json.put("mix", mix);
        json.put("threads", threads);
        json.put("clients", clients);
        json.put("roundsComplete", complete);
        json.put("durationSeconds", duration);
        json.put("medianUnavailableMillis", unavailable[unavailable.length / 2]);
        json.put("medianLongestPauseMillis", pauses[pauses.length / 2]);
        json.put("lostAcknowledged", lost);
        json.put("rounds", results);
        String name = resultName();
        Path file = out.resolve(name + ".json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
        w.println("results: " + file + " and " + out.resolve(name + "-round1.png") + " ...");
        w.flush();
        return lost == 0 && complete == results.size() ? 0 : 1;
    }

    /** The file name prefix of this drill's JSON and charts: kind, nodes and durability mode. */
    private String resultName() {
        return "drill-" + kind + (nodes > 1 ? "-" + nodes + "nodes" : "") + (durability.equals("replica") ? "-replica" : "")
                + (mix.equals("transactions") ? "-transactions" : "");
    }

    /** The node that decides: the only one standalone, the leader in a cluster. */
    private static BatonNode leader(List<BatonNode> cluster) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (true) {
            for (BatonNode n : cluster) {
                if (n.cluster() == null || n.cluster().isLeader()) {
                    return n;
                }
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("no Baton node leads the cluster after 30 s");
            }
            Thread.sleep(10);
        }
    }

    /** Every node routes (in a cluster: holds its lease and has applied the route). */
    private static void awaitRouting(List<BatonNode> cluster) throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (cluster.stream().anyMatch(n -> !n.proxy().gate().mayRoute()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        leader(cluster);
    }

    private Round round(int r, SandboxTopology t, List<BatonNode> cluster, PrintWriter w) throws Exception {
        BatonNode first = cluster.get(0);
        String from = first.proxy().source().name();
        String to = null;
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong ids = new AtomicLong(r * 10_000_000L);
        AtomicInteger reconnects = new AtomicInteger();
        ConcurrentLinkedQueue<Event> events = new ConcurrentLinkedQueue<>();
        Set<Long> acked = java.util.concurrent.ConcurrentHashMap.newKeySet();
        List<Thread> workers = new ArrayList<>();
        List<PyMySqlLoad> pys = new ArrayList<>();
        Map<String, Double> replaysBefore = new TreeMap<>();
        for (String result : List.of("replayed", "different", "refused", "failed")) {
            replaysBefore.put(result, cluster.stream().mapToDouble(b -> b.proxy().metrics().replays(result)).sum());
        }
        long roundStart = System.nanoTime();
        long roundStartMillis = System.currentTimeMillis();
        for (int n = 0; n < cluster.size(); n++) {
            BatonNode node = cluster.get(n);
            int nodeIndex = n;
            if (clients.contains("jdbc")) {
                for (int i = 0; i < threads; i++) {
                    int session = n * 1000 + i;
                    boolean tx = mix.equals("transactions") && i % 2 == 0;
                    Thread th = new Thread(() -> write(node, nodeIndex, t.user("app"), session, tx, stop, ids, reconnects,
                            events, acked), "drill-" + n + "-" + i);
                    th.start();
                    workers.add(th);
                }
            }
            if (clients.contains("pymysql")) {
                pys.add(PyMySqlLoad.start(node.proxy().port(), t.user("app").user(), t.user("app").password(), threads,
                        r * 10_000_000L + 5_000_000L + n * 500_000L,
                        (id, t0, t1) -> {
                            acked.add(id);
                            events.add(new Event(nodeIndex, t0, t1, 0));
                        },
                        (errno, t0, t1) -> events.add(new Event(nodeIndex, t0, t1, (int) errno)), reconnects::incrementAndGet));
            }
        }
        Thread.sleep(duration * 1000L / 3);
        BatonNode decider = leader(cluster);
        long event = System.nanoTime();
        long eventMillis = System.currentTimeMillis();
        FailoverReport report;
        if (kind.equals("kill")) {
            t.kill(from); // returns once the process is gone: the event is when the source stopped answering
            event = System.nanoTime();
            report = awaitFailover(cluster, from, eventMillis);
        } else {
            to = t.servers().stream().map(TopologyFile.Server::name)
                    .filter(n -> !n.equals(from) && decider.monitor().snapshot().server(n).map(s -> s.reachable()).orElse(false))
                    .findFirst().orElseThrow();
            report = decider.engine().switchover(to, "drill");
        }
        endRound(roundStart, duration, stop, workers);
        for (PyMySqlLoad py : pys) {
            py.stop();
        }
        to = first.proxy().source().name();

        long eventAt = event;
        // Per node: from the event to the first acknowledged write through that node that started after it.
        List<Long> byNode = new ArrayList<>();
        for (int n = 0; n < cluster.size(); n++) {
            int nodeIndex = n;
            long firstAck = events.stream().filter(e -> e.node() == nodeIndex && e.errno() == 0 && e.startNanos() > eventAt)
                    .mapToLong(Event::endNanos).min().orElse(Long.MAX_VALUE);
            byNode.add(firstAck == Long.MAX_VALUE ? -1 : (firstAck - eventAt) / 1_000_000);
        }
        long unavailable = byNode.contains(-1L) ? -1 : byNode.stream().mapToLong(Long::longValue).max().orElse(-1);
        Gap longest = new Gap(0, roundStart);
        for (int n = 0; n < cluster.size(); n++) {
            int nodeIndex = n;
            Gap g = Gap.longest(events.stream().filter(e -> e.node() == nodeIndex && e.errno() == 0).map(Event::endNanos)
                    .sorted().toList());
            longest = g.nanos() > longest.nanos() ? g : longest;
        }
        long longestPause = longest.nanos();
        long longestPauseFrom = longest.fromNanos();
        Map<String, Integer> errors = new TreeMap<>();
        events.stream().filter(e -> e.errno() != 0).forEach(e -> errors.merge(String.valueOf(e.errno()), 1, Integer::sum));
        boolean routedAway = report != null && report.isRouted() && !to.equals(from);
        // Without a new routed source there is nothing to check the acknowledged writes against: -1, unknown.
        long lost = routedAway ? lostAcknowledged(t, first, acked) : -1;
        List<Map<String, Object>> steps = new ArrayList<>();
        if (report != null) {
            for (FailoverReport.StepRecord s : report.steps()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("step", s.name());
                m.put("atMillis", s.startedAtMillis() - roundStartMillis);
                m.put("durationMillis", s.durationMillis());
                m.put("ok", s.ok());
                steps.add(m);
            }
        }
        Map<String, Long> replays = new TreeMap<>();
        for (String result : List.of("replayed", "different", "refused", "failed")) {
            long n = Math.round(cluster.stream().mapToDouble(b -> b.proxy().metrics().replays(result)).sum()
                    - replaysBefore.getOrDefault(result, 0.0));
            if (n > 0) {
                replays.put(result, n);
            }
        }
        chart(r, roundStart, eventAt, events, steps, replays);
        List<String> notes = new ArrayList<>();
        if (kind.equals("kill") && routedAway) {
            t.start(from);
            FailoverReport rejoin = leader(cluster).engine().rejoin(from, false, "drill: restore the topology");
            if (!rejoin.succeeded() && rejoin.failure().contains("errant transaction")) {
                // Commits the killed source made and never sent: with durability.mode replica their clients got
                // ERR 1317 (outcome unknown), with async they are acknowledged writes lost. The drill keeps its
                // replicas (a replica-mode topology without one cannot acknowledge a commit). A forced rejoin would
                // leave the GTIDs errant, and the next failover would rightly leave that server out; on MySQL the
                // drill commits them empty on the new source instead (the manual's remedy for errant transactions:
                // the drill's rows have ids of their own, so the row that stays on the old source alone never
                // collides), and the rejoin then goes through unforced.
                String errant = rejoin.failure().replaceAll("; rejoin with.*", "");
                String injected = t.dialect().isMariaDb() ? null : commitEmpty(t, from, to);
                String note = from + " kept commits it never sent (" + errant + "); "
                        + (injected != null ? "committed " + injected + " empty on " + to + " and rejoined it"
                        : "rejoined with force to restore the topology");
                w.println("note: " + note);
                notes.add(note);
                rejoin = injected != null ? leader(cluster).engine().rejoin(from, false, "drill: restore the topology")
                        : leader(cluster).engine().rejoin(from, true, "drill: restore the topology (forced)");
            }
            if (!rejoin.succeeded()) {
                w.println("warning: " + from + " did not rejoin: " + rejoin.failure());
                notes.add(from + " did not rejoin: " + rejoin.describe());
            }
        }
        String routed = first.proxy().source().name();
        boolean allRouted = cluster.stream().allMatch(n -> n.proxy().source().name().equals(routed));
        // Complete: the procedure routed to a new source with the gate open, every node follows, and writes resumed.
        String outcome = report == null ? "no failover within 30 s" : !report.isRouted() ? report.headline()
                : to.equals(from) ? "still routed to " + from : !allRouted ? "the nodes route to different sources"
                : unavailable < 0 ? "no write acknowledged after the event on every node"
                : report.succeeded() ? "succeeded" : "routed after a stop: " + report.recovery();
        boolean complete = report != null && report.isRouted() && !to.equals(from) && allRouted && unavailable >= 0;
        return new Round(r, kind, from, to, complete, outcome, unavailable, byNode, longestPause / 1_000_000,
                (longestPauseFrom - roundStart) / 1_000_000, errors,
                reconnects.get(), acked.size(), lost, steps, report == null ? null : report.describe(), notes, replays);
    }

    /**
     * Commits each GTID {@code from} has and {@code to} lacks as an empty transaction on {@code to} (MySQL), so that
     * {@code from} can follow {@code to} again; the set committed, or null when there was nothing to do or it failed.
     */
    static String commitEmpty(SandboxTopology t, String from, String to) {
        try (Connection a = t.connectRoot(from); Connection b = t.connectRoot(to)) {
            return io.baton.admin.failover.ErrantTransactions.commitEmpty(a, b, 1000);
        } catch (SQLException | IllegalArgumentException e) {
            return null;
        }
    }

    /** The GTIDs of a GTID set's text, one by one (see {@link GtidSet#each}). */
    static List<String> gtids(String set, int max) {
        return GtidSet.parse(set).each(max);
    }

    /** --kind leader: every node its own JVM, kill -9 of the leading one each round (see {@link LeaderDrill}). */
    private int leaderDrill(PrintWriter w, SandboxTopology t, Ensemble zk, Path dir) throws Exception {
        List<Map<String, Object>> results = new LeaderDrill(w, t, zk, nodes, rounds, duration, threads, dir).run();
        long[] leader = results.stream().mapToLong(r -> (Long) r.get("newLeaderMillis")).sorted().toArray();
        long[] pauses = results.stream().mapToLong(r -> (Long) r.get("othersLongestPauseMillis")).sorted().toArray();
        long errors = results.stream().mapToLong(r -> (Long) r.get("othersErrors")).sum();
        boolean all = results.stream().allMatch(r -> (Long) r.get("newLeaderMillis") >= 0);
        w.printf("%nleader drill through %d Baton nodes (each its own JVM), %d rounds, %d jdbc writers per node: new leader"
                        + " after a median %d ms (min %d, max %d; cluster.sessionTimeout 4000 ms by default), writes through"
                        + " the other nodes: median longest pause %d ms, %d errors in all%n", nodes, results.size(), threads,
                leader[leader.length / 2], leader[0], leader[leader.length - 1], pauses[pauses.length / 2], errors);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("kind", kind);
        json.put("nodes", nodes);
        json.put("threads", threads);
        json.put("durationSeconds", duration);
        json.put("medianNewLeaderMillis", leader[leader.length / 2]);
        json.put("medianOthersLongestPauseMillis", pauses[pauses.length / 2]);
        json.put("othersErrors", errors);
        json.put("rounds", results);
        Path file = out.resolve("drill-leader-" + nodes + "nodes.json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
        w.println("results: " + file);
        w.flush();
        return all && errors == 0 ? 0 : 1;
    }

    private static void closeNodes(List<BatonNode> cluster) {
        for (BatonNode n : cluster) {
            n.close();
        }
        cluster.clear();
    }

    /** This round's failover (started after {@code sinceMillis}, on whichever node ran it); null if none within 30 s. */
    private static FailoverReport awaitFailover(List<BatonNode> cluster, String from, long sinceMillis)
            throws InterruptedException {
        long deadline = System.nanoTime() + 30_000_000_000L;
        while (cluster.stream().anyMatch(n -> n.proxy().source().name().equals(from)) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        while (cluster.stream().anyMatch(n -> n.engine().busy()) && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        for (BatonNode n : cluster) {
            FailoverReport f = n.engine().reports().all().stream()
                    .filter(x -> x.kind() == FailoverReport.Kind.FAILOVER && x.startedAt().toEpochMilli() >= sinceMillis)
                    .findFirst().orElse(null);
            if (f != null) {
                return f;
            }
        }
        return null;
    }

    /**
     * One jdbc session's writes until {@code stop}: autocommit INSERTs, or ({@code tx}) transactions of BEGIN, INSERT, a
     * read by key, INSERT, COMMIT; an event per acknowledged write or transaction, or per error.
     */
    private static void write(BatonNode node, int nodeIndex, TopologyFile.User user, int session, boolean tx, AtomicBoolean stop,
                              AtomicLong ids, AtomicInteger reconnects, ConcurrentLinkedQueue<Event> events, Set<Long> acked) {
        boolean first = true;
        while (!stop.get()) {
            try (Connection c = connect(node, user);
                 PreparedStatement ps = c.prepareStatement("INSERT INTO app.drill VALUES (?, ?, ?)");
                 PreparedStatement read = c.prepareStatement("SELECT session FROM app.drill WHERE id = ?")) {
                if (!first) {
                    reconnects.incrementAndGet();
                }
                first = false;
                c.setAutoCommit(!tx);
                while (!stop.get()) {
                    long id = ids.incrementAndGet();
                    long t0 = System.nanoTime();
                    try {
                        ps.setLong(1, id);
                        ps.setInt(2, session);
                        ps.setLong(3, System.currentTimeMillis());
                        ps.executeUpdate();
                        if (tx) {
                            read.setLong(1, id);
                            try (ResultSet rs = read.executeQuery()) {
                                rs.next();
                            }
                            long second = ids.incrementAndGet();
                            ps.setLong(1, second);
                            ps.executeUpdate();
                            c.commit();
                            acked.add(second);
                        }
                        acked.add(id);
                        events.add(new Event(nodeIndex, t0, System.nanoTime(), 0));
                    } catch (SQLException e) {
                        events.add(new Event(nodeIndex, t0, System.nanoTime(), e.getErrorCode() == 0 ? -1 : e.getErrorCode()));
                        if (c.isClosed()) {
                            break;
                        }
                        if (tx) {
                            try {
                                c.rollback();
                            } catch (SQLException ignored) {
                                // the next transaction starts afresh either way
                            }
                        }
                    }
                    Thread.sleep(2);
                }
            } catch (SQLException e) {
                sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static long lostAcknowledged(SandboxTopology t, BatonNode node, Set<Long> acked) throws SQLException {
        Set<Long> present = new HashSet<>();
        try (Connection c = t.connect(node.proxy().source().name(), "app"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM app.drill")) {
            while (rs.next()) {
                present.add(rs.getLong(1));
            }
        }
        return acked.stream().filter(id -> !present.contains(id)).count();
    }

    private void chart(int round, long roundStart, long event, ConcurrentLinkedQueue<Event> events,
                       List<Map<String, Object>> steps, Map<String, Long> replays) {
        int buckets = duration * 10 + 1;
        double[] x = new double[buckets];
        double[] acks = new double[buckets];
        double[] errs = new double[buckets];
        for (int i = 0; i < buckets; i++) {
            x[i] = i / 10.0;
        }
        for (Event e : events) {
            int b = (int) ((e.endNanos() - roundStart) / 100_000_000L);
            if (b >= 0 && b < buckets) {
                if (e.errno() == 0) {
                    acks[b]++;
                } else {
                    errs[b]++;
                }
            }
        }
        XYChart chart = new XYChartBuilder().width(1000).height(450)
                .title("Baton " + kind + " drill, round " + round + ": writes per 100 ms through Baton")
                .xAxisTitle("seconds").yAxisTitle("per 100 ms").build();
        chart.addSeries("acknowledged writes", x, acks).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        chart.addSeries("errors", x, errs).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Step);
        double max = java.util.Arrays.stream(acks).max().orElse(1);
        double ev = (event - roundStart) / 1e9;
        chart.addSeries(kind.equals("kill") ? "kill -9 of the source" : "switchover requested",
                new double[] {ev, ev}, new double[] {0, max}).setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        if (!replays.isEmpty()) {
            // Replays end within the route step: marked where it ends, with what they gave.
            double at = steps.stream().filter(s -> "route to the new source".equals(s.get("step"))).findFirst()
                    .map(s -> (((Number) s.get("atMillis")).longValue() + ((Number) s.get("durationMillis")).longValue())
                            / 1000.0).orElse(ev);
            chart.addSeries("open transactions: " + replays, new double[] {at, at}, new double[] {0, max * 0.8})
                    .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
        }
        for (Map<String, Object> s : steps) {
            double at = ((Number) s.get("atMillis")).longValue() / 1000.0;
            if (at >= 0 && at <= duration) {
                chart.addSeries("step: " + s.get("step"), new double[] {at, at}, new double[] {0, max * 0.9})
                        .setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Line);
            }
        }
        chart.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideE);
        chart.getStyler().setMarkerSize(0);
        try {
            BitmapEncoder.saveBitmap(chart, out.resolve(resultName() + "-round" + round).toString(),
                    BitmapEncoder.BitmapFormat.PNG);
        } catch (java.io.IOException e) {
            spec.commandLine().getErr().println("could not write the chart: " + e.getMessage());
        }
    }

    private static Connection connect(BatonNode node, TopologyFile.User u) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", u.user());
        p.setProperty("password", u.password());
        p.setProperty("sslMode", "DISABLED");
        p.setProperty("useServerPrepStmts", "true");
        p.setProperty("connectTimeout", "5000");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + node.proxy().port() + "/app", p);
    }


    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void deleteQuietly(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException ignored) {
            // a temporary folder
        }
    }

    /** Lets the round run its full {@code seconds} from {@code roundStart}, then stops its load and waits for it (bounded). */
    static void endRound(long roundStart, int seconds, java.util.concurrent.atomic.AtomicBoolean stop,
                         List<Thread> load) throws InterruptedException {
        long remaining = seconds * 1000L - (System.nanoTime() - roundStart) / 1_000_000;
        if (remaining > 0) {
            Thread.sleep(remaining);
        }
        stop.set(true);
        for (Thread th : load) {
            th.join(30_000);
        }
    }

}
