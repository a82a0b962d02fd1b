package io.baton.perf.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.baton.admin.cli.CliException;
import io.baton.sandbox.Sandbox;
import io.baton.sandbox.SandboxOptions;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./baton bench idle-sessions}: opens many client sessions through a Baton process, lets
 * them sit idle, and reports Baton's resident memory (VmRSS of its PID: Baton's alone, the clients
 * run in this JVM). Issue 3's budget: 2,000 sessions in at most 300 MiB.
 */
@Command(name = "idle-sessions", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Open N idle client sessions through a Baton process and report Baton's RSS (VmRSS)."})
public final class IdleSessionsCommand implements Callable<Integer> {
    @Option(names = "--sessions", defaultValue = "2000", paramLabel = "N",
            description = "Client sessions to open (default: ${DEFAULT-VALUE}).")
    int sessions;
    @Option(names = "--idle", defaultValue = "10", paramLabel = "S",
            description = "Seconds the sessions stay idle before RSS is read (default: ${DEFAULT-VALUE}).")
    int idleSeconds;
    @Option(names = "--dir", paramLabel = "SANDBOX_DIR", description = "Use this running sandbox instead of starting one.")
    Path dir;
    @Option(names = "--connect-threads", defaultValue = "16", paramLabel = "N",
            description = "Threads opening the sessions (default: ${DEFAULT-VALUE}).")
    int connectThreads;
    @Option(names = "--baton-java-opts", defaultValue = "", paramLabel = "OPTS",
            description = "JVM options of the Baton process (default: none, as './baton proxy' runs).")
    String batonJavaOpts;
    @Option(names = "--limit-mib", defaultValue = "300", paramLabel = "MIB",
            description = "The RSS budget the result is compared with (default: ${DEFAULT-VALUE}).")
    int limitMib;
    @Option(names = "--no-pool",
            description = "Run Baton with pool.enabled false (one server connection per session), to compare.")
    boolean noPool;
    @Option(names = "--read-port",
            description = "Open the sessions on Baton's read-only port (a sandbox with 1 replica): they are served by the"
                    + " replica, and its server sessions are counted.")
    boolean readPort;
    @Option(names = "--out", defaultValue = "bench-results", paramLabel = "DIR",
            description = "Where the JSON goes (default: ${DEFAULT-VALUE}).")
    Path out;

    @Override
    public Integer call() throws Exception {
        BenchCommand.check(sessions >= 1 && sessions <= 3500, "--sessions must be between 1 and 3500");
        BenchCommand.check(connectThreads >= 1 && connectThreads <= 256, "--connect-threads must be between 1 and 256");
        try {
            return run();
        } catch (IllegalStateException | SQLException | IOException e) {
            throw new CliException("idle-sessions failed: " + e.getMessage(), e);
        }
    }

    private int run() throws IOException, SQLException, InterruptedException {
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"));
        Path outDir = out.toAbsolutePath();
        List<Connection> open = new ArrayList<>();
        try (BenchCommand.Resources res = new BenchCommand.Resources()) {
            SandboxTopology topo;
            if (dir != null) {
                topo = SandboxTopology.open(dir);
            } else {
                Path sb = Files.createTempDirectory("baton-idle-");
                System.out.println("idle-sessions: starting a sandbox (1 source" + (readPort ? ", 1 replica" : "")
                        + ", mysql80) in " + sb);
                topo = res.addTopology(Sandbox.up(SandboxOptions.defaults(sb).withReplicas(readPort ? 1 : 0)));
            }
            TopologyFile.Server src = topo.currentSource();
            if (readPort) {
                // The server the sessions are counted on: the replica that serves the read port.
                String source = src.name();
                src = topo.servers().stream().filter(x -> !x.name().equals(source)).findFirst()
                        .orElseThrow(() -> new IllegalStateException("--read-port needs a sandbox with a replica"));
            }
            List<String> opts = batonJavaOpts.isBlank() ? List.of() : Arrays.asList(batonJavaOpts.trim().split("\\s+"));
            Path config = Path.of(topo.file().config());
            if (noPool) {
                Files.createDirectories(outDir);
                config = outDir.resolve("idle-sessions-" + stamp + "-nopool.yml");
                Files.writeString(config, Files.readString(Path.of(topo.file().config())) + "\npool:\n  enabled: false\n");
            }
            BatonProcess baton = res.add(BatonProcess.start(config, opts,
                    outDir.resolve("idle-sessions-" + stamp + "-baton.log")));
            long mysqldPid;
            try (Connection root = topo.connectRoot(src.name())) {
                mysqldPid = Long.parseLong(Files.readString(Path.of(BenchCommand.scalar(root, "SELECT @@pid_file"))).trim());
            }
            ProcStatus mysqldBefore = ProcStatus.read(mysqldPid);
            TopologyFile.User app = topo.user("app");
            int port = readPort ? baton.readPort() : baton.port();
            Target target = new Target(Target.BATON, LoopbackPort.HOST, port, app.user(), app.password());
            System.out.println("idle-sessions: Baton pid " + baton.pid() + " on " + (readPort ? "read-only " : "")
                    + "port " + port + (opts.isEmpty() ? "" : " with " + String.join(" ", opts)));
            awaitServedBy(target, src, 30);
            ProcStatus before = ProcStatus.read(baton.pid());
            System.out.printf(Locale.ROOT, "idle-sessions: Baton RSS before: %.1f MiB%n", before.rssMib());

            // Two halves: the first also pays the fresh JVM's one-time costs (its heap grows into use with the
            // burst of logins); the second, on a warm process, measures what one more idle session costs.
            long t0 = System.nanoTime();
            ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
            AtomicInteger done = new AtomicInteger();
            int firstHalf = sessions / 2;
            open.addAll(openSessions(target, firstHalf, done, failures));
            Thread.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
            res.checkAlive();
            fullCollection(baton.pid());
            ProcStatus mid = ProcStatus.read(baton.pid());
            int openMid = open.size();
            open.addAll(openSessions(target, sessions - firstHalf, done, failures));
            double openSeconds = (System.nanoTime() - t0) / 1e9 - idleSeconds;
            System.out.printf(Locale.ROOT, "idle-sessions: %d sessions open (%d failed) in %.1f s; idle for %d s%n",
                    open.size(), failures.size(), openSeconds, idleSeconds);
            if (!failures.isEmpty()) {
                System.out.println("idle-sessions: first failure: " + failures.peek());
            }
            Thread.sleep(TimeUnit.SECONDS.toMillis(idleSeconds));
            res.checkAlive();
            ProcStatus after = ProcStatus.read(baton.pid());
            fullCollection(baton.pid());
            ProcStatus collected = ProcStatus.read(baton.pid());
            long backends;
            try (Connection root = topo.connectRoot(src.name())) {
                backends = Long.parseLong(BenchCommand.scalar(root,
                        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '" + app.user() + "'"));
            }
            double perSessionKib = (after.rssKib() - before.rssKib()) / (double) Math.max(1, open.size());
            double marginalKib = (collected.rssKib() - mid.rssKib()) / (double) Math.max(1, open.size() - openMid);
            System.out.println();
            System.out.printf(Locale.ROOT, "Baton RSS with %d idle sessions: %.1f MiB (before: %.1f MiB; peak VmHWM %.1f MiB;"
                            + " %.1f KiB per session; %d threads); budget %d MiB: %s%n",
                    open.size(), after.rssMib(), before.rssMib(), after.hwmMib(), perSessionKib, after.threads(), limitMib,
                    after.rssMib() <= limitMib ? "within" : "OVER");
            System.out.printf(Locale.ROOT, "per idle session on a warm process (RSS after a full collection: %.1f MiB with %d"
                    + " sessions, %.1f MiB with %d): %.1f KiB%n", mid.rssMib(), openMid, collected.rssMib(), open.size(),
                    marginalKib);
            System.out.println("server-side sessions of '" + app.user() + "' on " + src.name() + ": " + backends
                    + (noPool ? " (pool.enabled false)" : " (backend pool on)"));
            ProcStatus mysqldAfter = ProcStatus.read(mysqldPid);
            System.out.printf(Locale.ROOT, "mysqld RSS: %.1f MiB (before the sessions: %.1f MiB; %+.1f MiB; %d threads)%n",
                    mysqldAfter.rssMib(), mysqldBefore.rssMib(), mysqldAfter.rssMib() - mysqldBefore.rssMib(),
                    mysqldAfter.threads());

            Map<String, Object> json = new LinkedHashMap<>();
            json.put("sessionsRequested", sessions);
            json.put("sessionsOpen", open.size());
            json.put("failures", failures.size());
            json.put("openSeconds", RoundResult.round2(openSeconds));
            json.put("idleSeconds", idleSeconds);
            List<String> effective = new ArrayList<>(io.baton.admin.cli.ProxyCommand.JVM_OPTIONS); // as BatonProcess runs it
            effective.addAll(opts);
            json.put("batonJavaOpts", effective);
            json.put("rssMibBefore", RoundResult.round2(before.rssMib()));
            json.put("rssMib", RoundResult.round2(after.rssMib()));
            json.put("hwmMib", RoundResult.round2(after.hwmMib()));
            json.put("rssKibPerSession", RoundResult.round2(perSessionKib));
            json.put("sessionsMid", openMid);
            json.put("rssMibMid", RoundResult.round2(mid.rssMib()));
            json.put("rssMibCollected", RoundResult.round2(collected.rssMib()));
            json.put("rssKibPerSessionWarm", RoundResult.round2(marginalKib));
            json.put("batonThreads", after.threads());
            json.put("serverSessions", backends);
            json.put("pool", !noPool);
            json.put("readPort", readPort);
            json.put("countedOn", src.name());
            json.put("mysqldRssMibBefore", RoundResult.round2(mysqldBefore.rssMib()));
            json.put("mysqldRssMib", RoundResult.round2(mysqldAfter.rssMib()));
            json.put("mysqldThreads", mysqldAfter.threads());
            json.put("limitMib", limitMib);
            String version;
            try (Connection root = topo.connectRoot(src.name())) {
                version = BenchCommand.scalar(root, "SELECT VERSION()");
            }
            json.put("machine", Machine.describe(version));
            Files.createDirectories(outDir);
            Path file = outDir.resolve("idle-sessions-" + stamp + ".json");
            new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(file.toFile(), json);
            System.out.println("wrote " + file);
        } finally {
            closeAll(open);
        }
        return 0;
    }

    /** Waits (at most {@code seconds}) until a new session of {@code target} is served by {@code server}. */
    private static void awaitServedBy(Target target, TopologyFile.Server server, int seconds)
            throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (true) {
            String id;
            try (Connection c = target.connect()) {
                id = BenchCommand.scalar(c, "SELECT @@server_id");
            }
            if (Integer.toString(server.serverId()).equals(id)) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("sessions on port " + target.port() + " are not served by " + server.name()
                        + " after " + seconds + " s (server_id " + id + ")");
            }
            Thread.sleep(200);
        }
    }

    /**
     * A full collection in Baton's JVM ({@code jcmd PID GC.run}, bounded), so that two readings of RSS compare what is
     * alive rather than how far the heap happened to grow between collections. Skipped, with a line, without jcmd.
     */
    private static void fullCollection(long pid) throws InterruptedException, IOException {
        Path jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd");
        if (!Files.isExecutable(jcmd)) {
            System.out.println("idle-sessions: no jcmd in " + jcmd.getParent() + ": RSS read without a full collection");
            return;
        }
        Process p = new ProcessBuilder(jcmd.toString(), Long.toString(pid), "GC.run").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
            p.destroyForcibly();
        }
        Thread.sleep(500);
    }

    /** Opens {@code count} sessions on {@code connectThreads} threads; failures are collected, not thrown. */
    private List<Connection> openSessions(Target target, int count, AtomicInteger done, ConcurrentLinkedQueue<String> failures)
            throws InterruptedException {
        ConcurrentLinkedQueue<Connection> conns = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(connectThreads);
        for (int i = 0; i < count; i++) {
            pool.execute(() -> {
                try {
                    conns.add(target.connect());
                } catch (SQLException e) {
                    failures.add(e.getErrorCode() + " " + e.getMessage());
                }
                int n = done.incrementAndGet();
                if (n % 500 == 0) {
                    System.out.println("idle-sessions: " + n + " sessions attempted");
                }
            });
        }
        pool.shutdown();
        if (!pool.awaitTermination(10, TimeUnit.MINUTES)) {
            pool.shutdownNow();
            throw new IllegalStateException("opening " + count + " sessions took more than 10 minutes");
        }
        return new ArrayList<>(conns);
    }

    private void closeAll(List<Connection> conns) throws InterruptedException {
        if (conns.isEmpty()) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(connectThreads);
        for (Connection c : conns) {
            pool.execute(() -> {
                try {
                    c.close();
                } catch (SQLException ignored) {
                    // Baton already stopped
                }
            });
        }
        pool.shutdown();
        pool.awaitTermination(2, TimeUnit.MINUTES);
    }

    /** The memory lines of /proc/PID/status. */
    record ProcStatus(long rssKib, long hwmKib, int threads) {
        static ProcStatus read(long pid) throws IOException {
            long rss = 0;
            long hwm = 0;
            int threads = 0;
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    rss = kib(line);
                } else if (line.startsWith("VmHWM:")) {
                    hwm = kib(line);
                } else if (line.startsWith("Threads:")) {
                    threads = (int) kib(line);
                }
            }
            return new ProcStatus(rss, hwm, threads);
        }

        private static long kib(String line) {
            return Long.parseLong(line.replaceAll("\\D", ""));
        }

        double rssMib() {
            return rssKib / 1024.0;
        }

        double hwmMib() {
            return hwmKib / 1024.0;
        }
    }
}
