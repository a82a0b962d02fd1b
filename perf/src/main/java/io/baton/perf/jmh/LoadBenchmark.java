package io.baton.perf.jmh;

import io.baton.proxy.ProxyServer;
import io.baton.proxy.ProxySettings;
import io.baton.proxy.UserDirectory;
import io.baton.proxy.routing.Endpoint;
import io.baton.sandbox.Sandbox;
import io.baton.sandbox.SandboxOptions;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Load benchmarks: N client threads, each with its own Connector/J connection (server-side
 * prepared statements), running point selects, read/write transactions and inserts against a
 * real sandbox server, direct or through Baton in this JVM. For the interleaved comparison with
 * HAProxy use {@code ./baton bench}; this is the same workload under JMH's statistics.
 *
 * <pre>java -cp perf/target/baton.jar org.openjdk.jmh.Main LoadBenchmark -t 16 -p target=direct,baton</pre>
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(1)
@Threads(16)
public class LoadBenchmark {
    private static final int ROWS = 10_000;

    /** One sandbox (1 source) and, for target=baton, a Baton in front of it, per trial. */
    @State(Scope.Benchmark)
    public static class Topology {
        @Param({"direct", "baton"})
        public String target;

        SandboxTopology sandbox;
        ProxyServer baton;
        String url;
        TopologyFile.User app;
        final AtomicLong insertIds = new AtomicLong(1_000_000);

        @Setup(Level.Trial)
        public void start() throws Exception {
            sandbox = Sandbox.up(SandboxOptions.defaults(Files.createTempDirectory("baton-jmh").resolve("sb"))
                    .withReplicas(0));
            app = sandbox.user("app");
            TopologyFile.Server src = sandbox.initialSource();
            try (Connection c = sandbox.connect(src.name(), "app"); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE sbtest.sbtest1 (id INT PRIMARY KEY, k INT NOT NULL, c CHAR(120) NOT NULL, "
                        + "pad CHAR(60) NOT NULL, KEY k_1 (k))");
                s.execute("CREATE TABLE sbtest.ins (id BIGINT PRIMARY KEY, v CHAR(40) NOT NULL)");
                StringBuilder sb = new StringBuilder();
                for (int i = 1; i <= ROWS; i++) {
                    sb.append(sb.length() == 0 ? "INSERT INTO sbtest.sbtest1 VALUES " : ",")
                            .append('(').append(i).append(',').append(i % 997).append(",'c").append(i).append("','p')");
                    if (i % 1000 == 0) {
                        s.execute(sb.toString());
                        sb.setLength(0);
                    }
                }
            }
            int port = src.port();
            if (target.equals("baton")) {
                UserDirectory users = new UserDirectory().add(app.user(), app.password());
                baton = new ProxyServer(ProxySettings.defaults().withPort(0), users,
                        new Endpoint(src.name(), src.host(), src.port()), null, null).start();
                port = baton.port();
            }
            url = "jdbc:mysql://127.0.0.1:" + port + "/sbtest?sslMode=DISABLED&useServerPrepStmts=true&cachePrepStmts=true";
        }

        @TearDown(Level.Trial)
        public void stop() {
            if (baton != null) {
                baton.close();
            }
            if (sandbox != null) {
                sandbox.close();
            }
        }
    }

    /** Each benchmark thread's own connection and statements. */
    @State(Scope.Thread)
    public static class Session {
        Connection c;
        PreparedStatement point;
        PreparedStatement update;
        PreparedStatement insert;

        @Setup(Level.Trial)
        public void open(Topology t) throws SQLException {
            Properties p = new Properties();
            p.setProperty("user", t.app.user());
            p.setProperty("password", t.app.password());
            c = DriverManager.getConnection(t.url, p);
            point = c.prepareStatement("SELECT c FROM sbtest1 WHERE id = ?");
            update = c.prepareStatement("UPDATE sbtest1 SET k = k + 1 WHERE id = ?");
            insert = c.prepareStatement("INSERT INTO ins VALUES (?, 'jmh')");
        }

        @TearDown(Level.Trial)
        public void close() throws SQLException {
            c.close();
        }
    }

    @Benchmark
    public String pointSelect(Session s) throws SQLException {
        return select(s);
    }

    /** 10 point selects and an update in one transaction. */
    @Benchmark
    public int readWrite(Session s) throws SQLException {
        s.c.setAutoCommit(false);
        try {
            int n = 0;
            for (int i = 0; i < 10; i++) {
                n += select(s).length();
            }
            s.update.setInt(1, ThreadLocalRandom.current().nextInt(1, ROWS + 1));
            n += s.update.executeUpdate();
            s.c.commit();
            return n;
        } catch (SQLException e) {
            s.c.rollback(); // a deadlock between threads: counted as done, as sysbench retries it
            return -1;
        } finally {
            s.c.setAutoCommit(true);
        }
    }

    @Benchmark
    public int insert(Topology t, Session s) throws SQLException {
        s.insert.setLong(1, t.insertIds.incrementAndGet());
        return s.insert.executeUpdate();
    }

    private static String select(Session s) throws SQLException {
        s.point.setInt(1, ThreadLocalRandom.current().nextInt(1, ROWS + 1));
        try (ResultSet rs = s.point.executeQuery()) {
            return rs.next() ? rs.getString(1) : "";
        }
    }
}
