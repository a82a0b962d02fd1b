package io.baton.perf.bench;

import io.baton.admin.cli.CliException;
import io.baton.proxy.ProxyServer;
import io.baton.proxy.ProxySettings;
import io.baton.proxy.UserDirectory;
import io.baton.proxy.routing.Endpoint;
import io.baton.sandbox.Sandbox;
import io.baton.sandbox.SandboxOptions;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./baton bench}: the same workload direct, through Baton and through HAProxy, interleaved
 * round by round in one run, so that the three see the same machine state; medians over rounds.
 *
 * <p>Steps: start a sandbox (one source, no replicas) unless {@code --dir} names a running one;
 * (re)create {@code sbtest.sbtest1}; start Baton (in this JVM, or as its own process) and HAProxy
 * (when installed) on free loopback ports; for each round, run each target for a warm-up and a
 * measured window; print the table and write JSON and PNG; stop everything it started.
 */
@Command(name = "bench", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Run a workload direct, through Baton and through HAProxy (TCP mode, when installed),",
                "interleaved over several rounds; print medians and ratios; write JSON and a PNG chart."},
        subcommands = {IdleSessionsCommand.class, JmhCommand.class, io.baton.perf.drill.FailoverDrillCommand.class})
public final class BenchCommand implements Callable<Integer> {

    @Option(names = "--workload", defaultValue = "point-select", paramLabel = "NAME",
            description = "point-select, read-only (point selects, for --read-port), read-write, insert or connect"
                    + " (a new connection per point select, as per-request connections) (default: ${DEFAULT-VALUE}).")
    String workload;
    @Option(names = "--read-port",
            description = "Reads on the replicas: a sandbox with 2 replicas, and the targets baton-reads (Baton's"
                    + " read-only port, own JVM) and baton-reads-user (the same at reads.consistency user) besides"
                    + " direct and baton. Read-only workloads only.")
    boolean readPort;
    @Option(names = "--threads", defaultValue = "16", paramLabel = "N",
            description = "Client threads, one connection each (default: ${DEFAULT-VALUE}).")
    int threads;
    @Option(names = "--duration", defaultValue = "15", paramLabel = "S",
            description = "Measured seconds per target and round (default: ${DEFAULT-VALUE}).")
    int duration;
    @Option(names = "--warmup", defaultValue = "3", paramLabel = "S",
            description = "Warm-up seconds before each measured window (default: ${DEFAULT-VALUE}).")
    int warmup;
    @Option(names = "--rounds", defaultValue = "3", paramLabel = "R",
            description = "Rounds; each runs every target once, in order (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--out", defaultValue = "bench-results", paramLabel = "DIR",
            description = "Where the JSON and PNG go (default: ${DEFAULT-VALUE}).")
    Path out;
    @Option(names = "--dir", paramLabel = "SANDBOX_DIR",
            description = "Use this running sandbox (its sbtest.sbtest1 is recreated) instead of starting one.")
    Path dir;
    @Option(names = "--targets", split = ",", paramLabel = "LIST",
            description = "Targets in round order: direct, baton, baton-replica (durability.mode replica, own JVM),"
                    + " baton-noreplay (replay.enabled false, own JVM), baton-nopool (pool.enabled false, own JVM), baton-reads, baton-reads-user (the read-only"
                    + " port, own JVM), baton-reads-nopool (the read-only port, pool.enabled false), haproxy (default: direct,baton,haproxy; with --read-port:"
                    + " direct,baton,baton-reads,baton-reads-user).")
    List<String> targets;
    @Option(names = "--table-size", defaultValue = "10000", paramLabel = "ROWS",
            description = "Rows in sbtest1 (default: ${DEFAULT-VALUE}).")
    int tableSize;
    @Option(names = "--baton", defaultValue = "in-process", paramLabel = "MODE",
            description = "in-process (a ProxyServer in this JVM) or process (its own JVM, like HAProxy) (default: ${DEFAULT-VALUE}).")
    String batonMode;
    @Option(names = "--baton-java-opts", paramLabel = "OPTS", defaultValue = "",
            description = "JVM options of a Baton process (--baton process), e.g. -XX:StartFlightRecording=filename=baton.jfr")
    String batonJavaOpts;

    @Option(names = "--replica-workers", defaultValue = "-1", paramLabel = "N",
            description = {"Parallel appliers of every replica for the run (replica_parallel_workers; 0: one applier"
                    + " thread). Default: as the servers run (MySQL 8.0: 4).",
                    "On a machine where the servers share a few cores, the appliers' hand-offs cost the source CPU."})
    int replicaWorkers;

    @Option(names = "--replica-catch-up", defaultValue = "300", paramLabel = "S",
            description = {"After each target's window of a writing workload, wait up to S seconds until every replica"
                    + " has executed what the source wrote, so that no target's round applies another's backlog on the"
                    + " same cores; the wait is reported per round (0: do not wait) (default: ${DEFAULT-VALUE})."})
    int replicaCatchUp;

    @Option(names = "--haproxy-threads", defaultValue = "0", paramLabel = "N",
            description = "HAProxy's nbthread (default: 0, HAProxy's own default of one thread per CPU).")
    int haproxyThreads;

    @Override
    public Integer call() throws Exception {
        Workload w = Workload.of(workload);
        check(threads >= 1 && threads <= 1024, "--threads must be between 1 and 1024");
        check(duration >= 1 && warmup >= 0 && rounds >= 1, "--duration and --rounds must be at least 1, --warmup at least 0");
        check(tableSize >= 100, "--table-size must be at least 100");
        check(haproxyThreads >= 0 && haproxyThreads <= 64, "--haproxy-threads must be between 0 and 64");
        check(replicaCatchUp >= 0 && replicaCatchUp <= 3600, "--replica-catch-up must be between 0 and 3600 seconds");
        check(batonMode.equals("in-process") || batonMode.equals("process"), "--baton must be in-process or process");
        if (targets == null || targets.isEmpty()) {
            targets = readPort ? List.of(Target.DIRECT, Target.BATON, Target.BATON_READS, Target.BATON_READS_USER)
                    : List.of(Target.DIRECT, Target.BATON, Target.HAPROXY);
        }
        for (String t : targets) {
            check(List.of(Target.DIRECT, Target.BATON, Target.HAPROXY, Target.BATON_REPLICA, Target.BATON_NO_REPLAY,
                    Target.BATON_NO_POOL, Target.BATON_READS, Target.BATON_READS_USER, Target.BATON_READS_NO_POOL)
                    .contains(t), "unknown target '" + t + "': direct, baton, baton-replica, baton-noreplay, baton-nopool,"
                    + " baton-reads, baton-reads-user, baton-reads-nopool or haproxy");
        }
        boolean reads = targets.contains(Target.BATON_READS) || targets.contains(Target.BATON_READS_USER)
                || targets.contains(Target.BATON_READS_NO_POOL);
        check(!reads || w == Workload.READ_ONLY || w == Workload.POINT_SELECT,
                "the read port refuses writes: --read-port and the baton-reads targets need --workload read-only");
        check(!reads || dir == null || SandboxTopology.open(dir).servers().size() >= 2,
                "the read port needs replicas: --dir names a sandbox without one");
        List<String> notes = new ArrayList<>();
        List<String> order = new ArrayList<>(targets);
        Optional<Path> haproxyBinary = Haproxy.binary();
        if (order.contains(Target.HAPROXY) && haproxyBinary.isEmpty()) {
            order.remove(Target.HAPROXY);
            notes.add("haproxy is not installed (not on PATH nor /usr/sbin): HAProxy skipped (apt-get install haproxy)");
            System.out.println("bench: " + notes.get(notes.size() - 1));
        }
        try {
            return run(w, order, haproxyBinary, notes);
        } catch (IllegalStateException | SQLException | IOException e) {
            throw new CliException("bench failed: " + e.getMessage(), e);
        }
    }

    /** Starts {@code name}, a Baton process with the sandbox's configuration plus {@code yaml}, when the run has it. */
    private void startVariant(Resources res, SandboxTopology topo, Path work, Map<String, ProxyCpu> cpu,
                              Map<String, Target> byName, List<String> order, TopologyFile.User app, String name,
                              String yaml, String label) throws IOException, InterruptedException {
        if (!order.contains(name)) {
            return;
        }
        Path config = work.resolve(name + ".yml");
        Files.createDirectories(work);
        Files.writeString(config, Files.readString(Path.of(topo.file().config())) + "\n" + yaml);
        List<String> opts = batonJavaOpts.isBlank() ? List.of()
                : Arrays.asList(batonJavaOpts.replace("baton.jfr", name + ".jfr").trim().split("\\s+"));
        BatonProcess b = res.add(BatonProcess.start(config, opts, work.resolve(name + ".log")));
        System.out.println("bench: Baton with " + label + " (own JVM) on port " + b.port() + ", pid " + b.pid());
        cpu.put(name, ProxyCpu.ofProcess(b.pid()));
        byName.put(name, new Target(name, LoopbackPort.HOST, b.port(), app.user(), app.password()));
    }

    private int run(Workload w, List<String> order, Optional<Path> haproxyBinary, List<String> notes)
            throws IOException, SQLException, InterruptedException {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path outDir = out.toAbsolutePath();
        Path work = outDir.resolve("run-" + stamp);

        try (Resources res = new Resources()) {
            SandboxTopology topo = openTopology(res);
            TopologyFile.Server src = topo.currentSource();
            String version;
            try (Connection root = topo.connectRoot(src.name())) {
                version = scalar(root, "SELECT VERSION()");
                System.out.println("bench: preparing sbtest.sbtest1 (" + tableSize + " rows) on " + src.name() + " " + src.host() + ":" + src.port());
                SbtestTable.prepare(root, tableSize);
            }
            if (replicaWorkers >= 0) {
                replicaWorkers(topo, replicaWorkers);
            }
            TopologyFile.User app = topo.user("app");
            Map<String, Target> byName = new LinkedHashMap<>();
            Map<String, ProxyCpu> cpu = new LinkedHashMap<>();
            byName.put(Target.DIRECT, new Target(Target.DIRECT, src.host(), src.port(), app.user(), app.password()));
            if (order.contains(Target.BATON)) {
                int port = startBaton(res, topo, src, work, cpu);
                byName.put(Target.BATON, new Target(Target.BATON, LoopbackPort.HOST, port, app.user(), app.password()));
            }
            // Variants of the sandbox's configuration, each a Baton as an operator would run it, in its own JVM.
            startVariant(res, topo, work, cpu, byName, order, app, Target.BATON_REPLICA, "durability:\n  mode: replica\n",
                    "durability.mode replica");
            startVariant(res, topo, work, cpu, byName, order, app, Target.BATON_NO_REPLAY, "replay:\n  enabled: false\n",
                    "replay.enabled false");
            startVariant(res, topo, work, cpu, byName, order, app, Target.BATON_NO_POOL, "pool:\n  enabled: false\n",
                    "pool.enabled false");
            for (String t : List.of(Target.BATON_READS, Target.BATON_READS_USER, Target.BATON_READS_NO_POOL)) {
                if (order.contains(t)) {
                    byName.put(t, startReadPort(res, topo, t, work, cpu, app));
                }
            }
            String haproxyVersion = null;
            if (order.contains(Target.HAPROXY)) {
                Haproxy h = res.add(Haproxy.start(haproxyBinary.orElseThrow(), work, src.host(), src.port(), haproxyThreads));
                haproxyVersion = Haproxy.version(haproxyBinary.get());
                System.out.println("bench: HAProxy " + haproxyVersion + " (TCP mode) on port " + h.port() + ", pid " + h.pid());
                cpu.put(Target.HAPROXY, ProxyCpu.ofProcess(h.pid()));
                byName.put(Target.HAPROXY, new Target(Target.HAPROXY, LoopbackPort.HOST, h.port(), app.user(), app.password()));
            }

            Map<String, Object> settings = new LinkedHashMap<>();
            settings.put("workload", w.id());
            settings.put("threads", threads);
            settings.put("rounds", rounds);
            settings.put("durationSeconds", duration);
            settings.put("warmupSeconds", warmup);
            settings.put("tableSize", tableSize);
            settings.put("replicaWorkers", replicaWorkers >= 0 ? replicaWorkers : "the servers' setting");
            settings.put("targets", order);
            settings.put("baton", batonMode + (batonJavaOpts.isBlank() ? "" : " " + batonJavaOpts));
            settings.put("haproxy", haproxyVersion == null ? null
                    : haproxyVersion + (haproxyThreads > 0 ? ", nbthread " + haproxyThreads : ", default threads"));
            settings.put("client", "Connector/J, useServerPrepStmts=true, cachePrepStmts=true, sslMode=DISABLED");
            settings.put("command", "baton bench " + String.join(" ", commandLine()));

            boolean catchUp = w.writes() && replicaCatchUp > 0 && topo.servers().size() > 1;
            settings.put("replicaCatchUpSeconds", catchUp ? replicaCatchUp : null);
            if (catchUp) {
                topo.awaitReplication(replicaCatchUp); // the table's preparation
            }
            List<RoundResult> results = new ArrayList<>();
            for (int r = 1; r <= rounds; r++) {
                for (String t : order) {
                    Target target = byName.get(t);
                    RoundResult rr = new LoadRound(target, w, threads, tableSize)
                            .run(r, Duration.ofSeconds(warmup), Duration.ofSeconds(duration), cpu.get(t));
                    if (catchUp) {
                        long t0 = System.nanoTime();
                        try {
                            topo.awaitReplication(replicaCatchUp);
                        } catch (SQLException e) { // reported; the rounds go on, and the wait counts as it ran
                            System.out.println("bench: " + e.getMessage() + " (--replica-catch-up); the next round starts anyway");
                        }
                        rr = rr.withCatchUp((System.nanoTime() - t0) / 1e9);
                    }
                    results.add(rr);
                    System.out.printf(Locale.ROOT, "bench: round %d/%d %-7s %9.0f events/s  p50 %.3f ms  p99 %.3f ms%s%s%s%n",
                            r, rounds, t, rr.eventsPerSecond(), rr.micros(50) / 1000, rr.micros(99) / 1000,
                            Double.isNaN(rr.proxyCpuSeconds()) ? ""
                                    : String.format(Locale.ROOT, "  proxy CPU %.1f µs/event", rr.proxyCpuMicrosPerEvent()),
                            Double.isNaN(rr.catchUpSeconds()) ? ""
                                    : String.format(Locale.ROOT, "  replicas caught up in %.1f s", rr.catchUpSeconds()),
                            rr.errors() > 0 ? "  errors " + rr.errors() + " " + rr.errorKinds() : "");
                    res.checkAlive();
                }
            }
            BenchReport report = new BenchReport(w, threads, settings, Machine.describe(version), order, results, notes);
            report.print(System.out);
            List<Path> files = report.write(outDir, BenchReport.stem(w, threads, stamp));
            System.out.println("wrote " + files.get(0) + " and " + files.get(1));
        }
        return 0;
    }

    /** Sets every replica's parallel appliers (the applier stops and starts again; the receiver goes on). */
    private static void replicaWorkers(SandboxTopology topo, int n) throws SQLException {
        for (TopologyFile.Server s : topo.servers()) {
            if ("source".equals(s.role())) {
                continue;
            }
            try (Connection root = topo.connectRoot(s.name()); java.sql.Statement st = root.createStatement()) {
                String v = scalar(root, "SELECT VERSION()");
                boolean mariaDb = v.toLowerCase(java.util.Locale.ROOT).contains("mariadb");
                boolean old = mariaDb || v.startsWith("5.") || v.matches("8\\.0\\.([0-9]|1[0-9]|2[0-5])[^0-9].*");
                String var = mariaDb ? "slave_parallel_threads" : old ? "slave_parallel_workers" : "replica_parallel_workers";
                String threads = mariaDb ? "" : " SQL_THREAD"; // MariaDB changes its appliers only with replication stopped
                st.execute((old ? "STOP SLAVE" : "STOP REPLICA") + threads);
                st.execute("SET GLOBAL " + var + " = " + n);
                st.execute((old ? "START SLAVE" : "START REPLICA") + threads);
                System.out.println("bench: " + s.name() + " applies with " + var + " = " + n);
            }
        }
    }

    private SandboxTopology openTopology(Resources res) throws IOException {
        if (dir != null) {
            return SandboxTopology.open(dir);
        }
        Path sb = Files.createTempDirectory("baton-bench-");
        // baton-replica needs a replica to acknowledge commits; every target then runs on the same topology.
        int replicas = targets.contains(Target.BATON_READS) || targets.contains(Target.BATON_READS_USER)
                || targets.contains(Target.BATON_READS_NO_POOL) ? 2
                : targets.contains(Target.BATON_REPLICA) ? 1 : 0;
        // baton-replica: replicas report what they received through performance_schema (on by default in MySQL).
        boolean ps = targets.contains(Target.BATON_REPLICA);
        System.out.println("bench: starting a sandbox (1 source" + (replicas > 0 ? " + " + replicas + " replica(s)" : "")
                + ", mysql80" + (ps ? ", performance_schema on" : "") + ") in " + sb);
        return res.addTopology(Sandbox.up(SandboxOptions.defaults(sb).withReplicas(replicas).withPerformanceSchema(ps)));
    }

    /**
     * A Baton process whose read-only port is the target; for baton-reads-user at reads.consistency user, after one
     * write of the user through its read-write port, so that every read has writes to check (the replicas have them:
     * the check costs a comparison, no round trip, as for any read whose replica is caught up).
     */
    private Target startReadPort(Resources res, SandboxTopology topo, String name, Path work,
                                 Map<String, ProxyCpu> cpu, TopologyFile.User app)
            throws IOException, InterruptedException, SQLException {
        boolean user = name.equals(Target.BATON_READS_USER);
        Path config = work.resolve(name + ".yml");
        Files.createDirectories(work);
        Files.writeString(config, Files.readString(Path.of(topo.file().config()))
                + (user ? "\nreads:\n  consistency: user\n" : "")
                + (name.equals(Target.BATON_READS_NO_POOL) ? "\npool:\n  enabled: false\n" : ""));
        List<String> opts = batonJavaOpts.isBlank() ? List.of()
                : Arrays.asList(batonJavaOpts.replace("baton.jfr", name + ".jfr").trim().split("\\s+"));
        BatonProcess b = res.add(BatonProcess.start(config, opts, work.resolve(name + ".log")));
        System.out.println("bench: Baton read port" + (user ? " at reads.consistency user" : "") + " (own JVM) on port "
                + b.readPort() + ", pid " + b.pid());
        cpu.put(name, ProxyCpu.ofProcess(b.pid()));
        if (user) {
            Target rw = new Target(name, LoopbackPort.HOST, b.port(), app.user(), app.password());
            try (Connection c = rw.connect(); Statement st = c.createStatement()) {
                st.execute("CREATE TABLE IF NOT EXISTS sbtest.bench_mark (id INT PRIMARY KEY, at BIGINT)");
                st.execute("REPLACE INTO sbtest.bench_mark VALUES (1, " + System.currentTimeMillis() + ")");
            }
        }
        Target t = new Target(name, LoopbackPort.HOST, b.readPort(), app.user(), app.password());
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (true) { // the read port serves once the first lag measurement is in
            try (Connection c = t.connect(); Statement st = c.createStatement()) {
                st.execute("SELECT 1");
                break;
            } catch (SQLException e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(200);
            }
        }
        return t;
    }

    private int startBaton(Resources res, SandboxTopology topo, TopologyFile.Server src, Path work,
                           Map<String, ProxyCpu> cpu) throws IOException, InterruptedException {
        if (batonMode.equals("process")) {
            List<String> opts = batonJavaOpts.isBlank() ? List.of() : Arrays.asList(batonJavaOpts.trim().split("\\s+"));
            BatonProcess b = res.add(BatonProcess.start(Path.of(topo.file().config()), opts, work.resolve("baton.log")));
            System.out.println("bench: Baton (own JVM" + (opts.isEmpty() ? "" : " " + String.join(" ", opts)) + ") on port "
                    + b.port() + ", pid " + b.pid());
            cpu.put(Target.BATON, ProxyCpu.ofProcess(b.pid()));
            return b.port();
        }
        UserDirectory users = new UserDirectory();
        for (String key : new String[] {"app", "app_sha2"}) {
            TopologyFile.User u = topo.user(key);
            users.add(u.user(), u.password());
        }
        ProxyServer p = new ProxyServer(ProxySettings.defaults().withPort(0), users,
                new Endpoint(src.name(), src.host(), src.port()), null, null).start();
        res.add(p);
        System.out.println("bench: Baton (in this JVM) on port " + p.port());
        cpu.put(Target.BATON, ProxyCpu.ofThreads("baton-io"));
        return p.port();
    }

    private List<String> commandLine() {
        List<String> a = new ArrayList<>(List.of("--workload", workload, "--threads", "" + threads, "--duration",
                "" + duration, "--warmup", "" + warmup, "--rounds", "" + rounds, "--targets", String.join(",", targets),
                "--baton", batonMode));
        if (!batonJavaOpts.isBlank()) {
            a.add("--baton-java-opts='" + batonJavaOpts + "'");
        }
        if (readPort) {
            a.add("--read-port");
        }
        if (haproxyThreads > 0) {
            a.add("--haproxy-threads " + haproxyThreads);
        }
        if (dir != null) {
            a.add("--dir " + dir);
        }
        return a;
    }

    static void check(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }

    public static String scalar(Connection c, String sql) throws SQLException {
        try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /**
     * What a run started, closed in reverse order at the end, on failure, and (through a shutdown
     * hook) on Ctrl-C: Baton, HAProxy, and the sandbox if this run created it.
     */
    static final class Resources implements AutoCloseable {
        private final List<AutoCloseable> opened = new ArrayList<>();
        private final List<BatonProcess> batons = new ArrayList<>();
        private final Thread hook = new Thread(this::closeAll, "bench-cleanup");
        private boolean closed;

        Resources() {
            Runtime.getRuntime().addShutdownHook(hook);
        }

        <T extends AutoCloseable> T add(T c) {
            synchronized (this) {
                opened.add(c);
            }
            if (c instanceof BatonProcess b) {
                batons.add(b);
            }
            return c;
        }

        SandboxTopology addTopology(SandboxTopology t) {
            return add(t);
        }

        /** A Baton process that died mid-run makes the run fail, with its log. */
        void checkAlive() {
            for (BatonProcess b : batons) {
                if (!b.isAlive()) {
                    throw new IllegalStateException("the Baton process exited: " + b.logTail());
                }
            }
        }

        private synchronized void closeAll() {
            if (closed) {
                return;
            }
            closed = true;
            for (int i = opened.size() - 1; i >= 0; i--) {
                AutoCloseable c = opened.get(i);
                try {
                    if (c instanceof SandboxTopology) {
                        System.out.println("bench: stopping the sandbox");
                    }
                    c.close();
                } catch (Exception e) {
                    System.err.println("bench: closing " + c + " failed: " + e);
                }
            }
        }

        @Override
        public void close() {
            closeAll();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook runs already
            }
        }
    }
}
