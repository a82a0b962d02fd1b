package io.baton.admin.cli;

import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.sandbox.Flavor;
import io.baton.sandbox.ReplicationMode;
import io.baton.sandbox.Sandbox;
import io.baton.sandbox.SandboxException;
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
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./baton demo}: a sandbox of 1 source + 3 replicas (MySQL 8.0.31, GTID) with Baton in front
 * of it (proxy 6033, console 6032, metrics 9033), and what to try. {@code --load} runs a small write
 * load through Baton with a live status line. Ctrl-C tears everything down.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start 1 source + 3 replicas (MySQL 8.0.31, GTID) with Baton in front, and show what to try; Ctrl-C stops everything.")
public final class DemoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;
    @Option(names = "--dir", defaultValue = "demo", description = "Folder for the demo's servers (default: ${DEFAULT-VALUE}); removed on exit.")
    Path dir;
    @Option(names = "--replicas", defaultValue = "3", description = "Number of replicas (default: ${DEFAULT-VALUE}).")
    int replicas;
    @Option(names = "--flavor", defaultValue = "mysql80", description = "mysql80, mysql57 or mariadb (default: ${DEFAULT-VALUE}).")
    String flavor;
    @Option(names = "--load", description = "Run a small write load through Baton and show a live status line.")
    boolean load;
    @Option(names = "--load-threads", defaultValue = "4", description = "Client threads of --load (default: ${DEFAULT-VALUE}).")
    int loadThreads;
    @Option(names = "--nodes", defaultValue = "1",
            description = {"Baton nodes (default: ${DEFAULT-VALUE}). More than one: a cluster on a local three-server",
                    "ZooKeeper ensemble, each node on its own ports."})
    int nodes;
    @Option(names = "--exit-after", defaultValue = "0", hidden = true, description = "Tear down after this many seconds (0: wait for Ctrl-C).")
    int exitAfterSeconds;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        Path d = dir.toAbsolutePath().normalize();
        clearEarlierDemo(d);
        SandboxOptions o = SandboxOptions.defaults(d).withReplicas(replicas).withFlavor(Flavor.parse(flavor))
                .withMode(ReplicationMode.GTID);
        if (nodes < 1 || nodes > 5) {
            throw new CliException("--nodes must be between 1 and 5, not " + nodes);
        }
        out.println("starting 1 source + " + replicas + " replicas (" + o.flavor() + ", gtid) in " + d
                + (nodes > 1 ? ", a three-server ZooKeeper ensemble and " + nodes + " Baton nodes" : "") + " ...");
        out.flush();
        SandboxTopology t = Sandbox.up(o);
        List<BatonNode> cluster = new ArrayList<>();
        Ensemble zk = null;
        try {
            if (nodes > 1) {
                zk = Ensemble.up(EnsembleOptions.defaults(d.resolve("zk")).withNodes(3));
            }
            for (int i = 0; i < nodes; i++) {
                BatonConfig c = BatonConfig.load(Path.of(t.file().config()));
                if (i > 0) { // the first node keeps the file's ports; the others get free ones
                    c.proxy.port = Sandbox.freeLoopbackPort();
                    c.proxy.readPort = c.proxy.readPort == 0 ? 0 : Sandbox.freeLoopbackPort();
                    c.admin.port = Sandbox.freeLoopbackPort();
                    c.metrics.port = Sandbox.freeLoopbackPort();
                }
                if (zk != null) {
                    c.cluster = new BatonConfig.Cluster();
                    c.cluster.zookeeper = zk.connectString();
                    c.cluster.name = "demo";
                }
                cluster.add(BatonNode.start(c, d.resolve("baton-reports" + (i == 0 ? "" : "-" + (i + 1))), null));
            }
        } catch (RuntimeException | InterruptedException e) {
            cluster.forEach(BatonNode::close);
            if (zk != null) {
                zk.close();
            }
            t.close();
            throw new CliException("Baton did not start: " + e.getMessage(), e);
        }
        BatonNode node = cluster.get(0);
        Ensemble ensemble = zk;
        AtomicBoolean stopping = new AtomicBoolean();
        CountDownLatch done = new CountDownLatch(1);
        LoadRunner loadRunner = load ? new LoadRunner(node, t.user("app"), loadThreads) : null;
        Runnable teardown = () -> {
            if (!stopping.compareAndSet(false, true)) {
                return;
            }
            System.out.println("\nstopping Baton and the demo topology ...");
            if (loadRunner != null) {
                loadRunner.stop();
            }
            cluster.forEach(BatonNode::close);
            if (ensemble != null) {
                ensemble.close();
            }
            t.close();
            System.out.println("demo stopped; no server left running.");
            done.countDown();
        };
        Thread hook = new Thread(teardown, "demo-teardown");
        Runtime.getRuntime().addShutdownHook(hook);
        printGuide(out, t, cluster);
        if (loadRunner != null) {
            loadRunner.start(out);
        }
        if (exitAfterSeconds > 0) {
            Thread.sleep(exitAfterSeconds * 1000L);
            Runtime.getRuntime().removeShutdownHook(hook);
            teardown.run();
            if (loadRunner != null) {
                out.println("load: " + loadRunner.summary());
            }
            out.flush();
            return 0;
        }
        done.await();
        return 0;
    }

    /** A demo folder left by an earlier demo that was killed: its servers are ours to stop. */
    private static void clearEarlierDemo(Path d) {
        if (Files.isRegularFile(d.resolve("zk").resolve("ensemble.json"))) {
            try {
                Ensemble.down(d.resolve("zk"), true);
            } catch (SandboxException e) {
                throw new CliException("could not clear the earlier demo's ZooKeeper in " + d + ": " + e.getMessage());
            }
        }
        if (Files.isDirectory(d.resolve("db1"))) {
            try {
                Sandbox.down(d, true);
            } catch (SandboxException e) {
                throw new CliException("could not clear the earlier demo in " + d + ": " + e.getMessage());
            }
        }
    }

    private static void printGuide(PrintWriter out, SandboxTopology t, List<BatonNode> cluster) {
        BatonNode node = cluster.get(0);
        TopologyFile f = t.file();
        TopologyFile.User app = f.user("app");
        BatonConfig c = node.config();
        out.println();
        out.println("Baton demo is up: " + f.flavor() + " " + f.version() + ", " + f.mode() + ", Baton routing to "
                + node.proxy().source());
        for (TopologyFile.Server s : f.servers()) {
            out.printf("  %-4s %-8s %s:%d%n", s.name(), s.role(), s.host(), s.port());
        }
        out.println();
        if (cluster.size() > 1) {
            out.println("Baton cluster 'demo' of " + cluster.size() + " nodes on ZooKeeper "
                    + c.cluster.zookeeper + " (one leader decides, every node routes the same):");
            for (BatonNode n : cluster) {
                out.printf("  node %-16s proxy %d, admin %d, metrics %d%n", n.cluster().nodeId(), n.proxy().port(),
                        n.config().admin.port, n.config().metrics.port);
            }
            out.println();
            out.println("Connect through any node (the endpoint never changes):");
            for (BatonNode n : cluster) {
                out.printf("  mariadb -h127.0.0.1 -P%d -u%s -p%s app%n", n.proxy().port(), app.user(), app.password());
            }
            out.println("  jdbc:mysql://" + cluster.stream().map(n -> "127.0.0.1:" + n.proxy().port())
                    .collect(java.util.stream.Collectors.joining(",")) + "/app   (Connector/J: the next node if one is gone)");
            out.println("Operate it:");
            for (BatonNode n : cluster) {
                out.printf("  ./baton admin --port %d --password %s -e \"SHOW CLUSTER\"%n", n.config().admin.port,
                        c.admin.password);
            }
        } else {
            out.println("Connect through Baton (the endpoint never changes):");
            out.printf("  mariadb -h127.0.0.1 -P%d -u%s -p%s app%n", node.proxy().port(), app.user(), app.password());
            out.println("Operate it:");
        }
        out.printf("  ./baton admin --port %d --password %s      (console: SHOW TOPOLOGY, SWITCHOVER TO db2, ...)%n",
                c.admin.port, c.admin.password);
        out.printf("  curl http://127.0.0.1:%d/metrics%n", c.metrics.port);
        out.println("Try a failure, then keep querying in the client:");
        out.println("  ./baton sandbox kill --dir " + t.dir() + " " + t.initialSource().name()
                + "      (kill -9 of the source: Baton promotes a replica and moves your session)");
        out.println("  ./baton switchover --config " + t.file().config() + " --to db2   (or SWITCHOVER TO db2 in the console)");
        out.println();
        out.println("Press Ctrl-C to stop everything.");
        out.flush();
    }

    /** A small write load through Baton, with one status line refreshed every second. */
    static final class LoadRunner {
        private final BatonNode node;
        private final TopologyFile.User user;
        private final int threads;
        private final AtomicBoolean stop = new AtomicBoolean();
        private final AtomicLong ok = new AtomicLong();
        private final AtomicLong errors = new AtomicLong();
        private final AtomicLong ids = new AtomicLong();
        private final java.util.List<Thread> workers = new java.util.ArrayList<>();

        LoadRunner(BatonNode node, TopologyFile.User user, int threads) {
            this.node = node;
            this.user = user;
            this.threads = threads;
        }

        void start(PrintWriter out) throws SQLException {
            try (Connection c = connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS app.demo_load (id BIGINT PRIMARY KEY, at TIMESTAMP(3))");
            }
            for (int i = 0; i < threads; i++) {
                Thread w = new Thread(this::work, "demo-load-" + i);
                w.setDaemon(true);
                w.start();
                workers.add(w);
            }
            Thread status = new Thread(() -> {
                long last = 0;
                while (!stop.get()) {
                    try {
                        Thread.sleep(1000);
                    } catch (InterruptedException e) {
                        return;
                    }
                    long now = ok.get();
                    System.out.printf("\rload: %5d writes/s, %d errors, %d acknowledged, source %s, gate %s   ", now - last,
                            errors.get(), now, node.proxy().source().name(), node.proxy().isGateOpen() ? "open" : "closed");
                    System.out.flush();
                    last = now;
                }
            }, "demo-status");
            status.setDaemon(true);
            status.start();
            workers.add(status);
        }

        private Connection connect() throws SQLException {
            Properties p = new Properties();
            p.setProperty("user", user.user());
            p.setProperty("password", user.password());
            p.setProperty("sslMode", "DISABLED");
            p.setProperty("useServerPrepStmts", "true");
            return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + node.proxy().port() + "/app", p);
        }

        private void work() {
            while (!stop.get()) {
                try (Connection c = connect();
                     PreparedStatement ps = c.prepareStatement("INSERT INTO app.demo_load VALUES (?, NOW(3))")) {
                    while (!stop.get()) {
                        ps.setLong(1, ids.incrementAndGet());
                        try {
                            ps.executeUpdate();
                            ok.incrementAndGet();
                        } catch (SQLException e) {
                            errors.incrementAndGet();
                        }
                        Thread.sleep(2);
                    }
                } catch (SQLException e) {
                    errors.incrementAndGet();
                    sleepQuietly(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }

        private static void sleepQuietly(long ms) {
            try {
                Thread.sleep(ms);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        void stop() {
            stop.set(true);
            for (Thread w : workers) {
                try {
                    w.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        String summary() {
            return ok.get() + " acknowledged writes, " + errors.get() + " errors";
        }
    }
}
