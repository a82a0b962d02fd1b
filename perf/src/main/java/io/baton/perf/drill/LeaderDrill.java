package io.baton.perf.drill;

import io.baton.admin.cli.BatonCli;
import io.baton.perf.bench.ChildProcess;
import io.baton.sandbox.LoopbackPorts;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.zk.Ensemble;
import java.io.IOException;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * {@code bench failover --kind leader --nodes N}: every Baton node is its own JVM ({@code baton proxy} from one
 * {@code baton.yml} with a {@code cluster:} section, ports on the command line), the write load goes through
 * every node, and each round kills -9 the node that leads. Per round: how long until another node leads (the
 * target is cluster.sessionTimeout + 1 s), and what the writers on the other nodes saw meanwhile (ZooKeeper is
 * off the data path: their longest pause between acknowledged writes, and their errors). The killed node is
 * started again on the same ports before the next round.
 */
final class LeaderDrill {
    private final PrintWriter w;
    private final SandboxTopology t;
    private final Ensemble zk;
    private final int nodes;
    private final int rounds;
    private final int duration;
    private final int threads;
    private final Path dir;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private final List<Node> cluster = new ArrayList<>();
    private Path config;

    /** One Baton JVM and its ports; {@code process} is replaced when the node is started again. */
    private static final class Node {
        final int index;
        final int port = LoopbackPorts.any();
        final int adminPort = LoopbackPorts.any();
        final int metricsPort = LoopbackPorts.any();
        final int readPort = LoopbackPorts.any();
        ChildProcess process;

        Node(int index) {
            this.index = index;
        }
    }

    /** One acknowledged write (or error) through node {@code node}. */
    private record Ack(int node, long atNanos, int errno) {
    }

    LeaderDrill(PrintWriter w, SandboxTopology t, Ensemble zk, int nodes, int rounds, int duration, int threads, Path dir) {
        this.w = w;
        this.t = t;
        this.zk = zk;
        this.nodes = nodes;
        this.rounds = rounds;
        this.duration = duration;
        this.threads = threads;
        this.dir = dir;
    }

    /** Runs the rounds; returns one map per round for the JSON results. */
    List<Map<String, Object>> run() throws Exception {
        config = dir.resolve("baton-cluster.yml");
        // The sandbox's configuration plus a cluster section: every node starts from this one file.
        Files.writeString(config, Files.readString(Path.of(t.file().config())) + "\ncluster:\n  zookeeper: \""
                + zk.connectString() + "\"\n  name: drill-leader\n");
        try (Connection c = t.connectRoot(t.currentSource().name()); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE IF NOT EXISTS app.drill_leader (id BIGINT PRIMARY KEY, node INT)");
        }
        try {
            for (int i = 0; i < nodes; i++) {
                Node n = new Node(i);
                cluster.add(n);
                start(n);
            }
            List<Map<String, Object>> out = new ArrayList<>();
            AtomicLong ids = new AtomicLong();
            for (int r = 1; r <= rounds; r++) {
                out.add(round(r, ids));
            }
            return out;
        } finally {
            for (Node n : cluster) {
                if (n.process != null) {
                    n.process.close();
                }
            }
        }
    }

    private void start(Node n) throws IOException, InterruptedException {
        List<String> cmd = new java.util.ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
        cmd.addAll(io.baton.admin.cli.ProxyCommand.JVM_OPTIONS); // as ./baton proxy runs
        cmd.addAll(List.of("-Xmx256m", "-cp",
                System.getProperty("java.class.path"), BatonCli.class.getName(), "proxy", "--config", config.toString(),
                "--port", Integer.toString(n.port), "--read-port", Integer.toString(n.readPort), "--admin-port", Integer.toString(n.adminPort), "--metrics-port",
                Integer.toString(n.metricsPort)));
        n.process = ChildProcess.start("baton-node" + (n.index + 1), cmd, dir.resolve("node" + (n.index + 1) + ".log"));
        n.process.awaitListening(n.metricsPort, 60_000);
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        while (readyStatus(n) != 200) {
            if (System.nanoTime() > deadline || !n.process.isAlive()) {
                throw new IllegalStateException("node " + (n.index + 1) + " did not become ready: " + n.process.tail());
            }
            Thread.sleep(100);
        }
    }

    private Map<String, Object> round(int r, AtomicLong ids) throws Exception {
        AtomicBoolean stop = new AtomicBoolean();
        ConcurrentLinkedQueue<Ack> acks = new ConcurrentLinkedQueue<>();
        List<Thread> writers = new ArrayList<>();
        for (Node n : cluster) {
            for (int i = 0; i < threads; i++) {
                Thread th = new Thread(() -> write(n, stop, acks, ids), "drill-writer-" + n.index + "-" + i);
                th.start();
                writers.add(th);
            }
        }
        long roundStart = System.nanoTime();
        Thread.sleep(duration * 1000L / 3);
        Node leader = null;
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (leader == null && System.nanoTime() < until) {
            for (Node n : cluster) {
                if (leads(n)) {
                    leader = n;
                }
            }
            if (leader == null) {
                Thread.sleep(50);
            }
        }
        if (leader == null) {
            stop.set(true);
            throw new IllegalStateException("no node leads: " + cluster.get(0).process.tail());
        }
        long pid = leader.process.pid();
        leader.process.kill();
        long killedAt = System.nanoTime();
        Node next = null;
        until = killedAt + Duration.ofSeconds(30).toNanos();
        while (next == null && System.nanoTime() < until) {
            for (Node n : cluster) {
                if (n != leader && leads(n)) {
                    next = n;
                }
            }
            if (next == null) {
                Thread.sleep(20);
            }
        }
        long newLeaderMillis = next == null ? -1 : (System.nanoTime() - killedAt) / 1_000_000;
        FailoverDrillCommand.endRound(roundStart, duration, stop, writers);
        int killed = leader.index;
        long longestPause = 0;
        long errors = 0;
        long acked = 0;
        for (Node n : cluster) {
            if (n.index == killed) {
                continue;
            }
            List<Long> times = acks.stream().filter(a -> a.node() == n.index && a.errno() == 0).map(Ack::atNanos).sorted()
                    .toList();
            acked += times.size();
            longestPause = Math.max(longestPause, FailoverDrillCommand.Gap.longest(times).nanos());
            errors += acks.stream().filter(a -> a.node() == n.index && a.errno() != 0).count();
        }
        start(leader); // the killed node comes back (as a follower) for the next round
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("round", r);
        m.put("killedNode", killed + 1);
        m.put("killedPid", pid);
        m.put("newLeaderNode", next == null ? null : next.index + 1);
        m.put("newLeaderMillis", newLeaderMillis);
        m.put("othersLongestPauseMillis", longestPause / 1_000_000);
        m.put("othersErrors", errors);
        m.put("othersAcknowledged", acked);
        w.printf("round %d: kill -9 of the leader (node %d, pid %d): %s, writes through the other node(s): longest pause"
                        + " %d ms, errors %d, acknowledged %d%n", r, killed + 1, pid,
                next == null ? "NO new leader within 30 s" : "node " + (next.index + 1) + " leads after " + newLeaderMillis
                        + " ms", longestPause / 1_000_000, errors, acked);
        w.flush();
        return m;
    }

    /** One writer session through {@code n}: autocommit INSERTs; after an error it reconnects after 100 ms. */
    private void write(Node n, AtomicBoolean stop, ConcurrentLinkedQueue<Ack> acks, AtomicLong ids) {
        TopologyFile.User u = t.user("app");
        Properties p = new Properties();
        p.setProperty("user", u.user());
        p.setProperty("password", u.password());
        p.setProperty("sslMode", "DISABLED");
        p.setProperty("connectTimeout", "2000");
        p.setProperty("socketTimeout", "30000");
        while (!stop.get()) {
            try (Connection c = DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + n.port + "/app", p);
                 PreparedStatement ps = c.prepareStatement("INSERT INTO app.drill_leader (id, node) VALUES (?, ?)")) {
                while (!stop.get()) {
                    ps.setLong(1, ids.incrementAndGet());
                    ps.setInt(2, n.index);
                    ps.executeUpdate();
                    acks.add(new Ack(n.index, System.nanoTime(), 0));
                }
            } catch (SQLException e) {
                acks.add(new Ack(n.index, System.nanoTime(), Math.max(1, e.getErrorCode())));
                sleep(100);
            }
        }
    }

    private boolean leads(Node n) {
        try {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.metricsPort
                    + "/metrics")).timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.ofString());
            return r.body().lines().anyMatch(l -> l.startsWith("baton_cluster_leader ") && l.trim().endsWith(" 1.0"));
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private int readyStatus(Node n) {
        try {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + n.metricsPort + "/health/ready"))
                    .timeout(Duration.ofSeconds(1)).build(), HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
