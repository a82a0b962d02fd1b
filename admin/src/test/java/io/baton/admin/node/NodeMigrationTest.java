package io.baton.admin.node;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mysql.cj.jdbc.JdbcConnection;
import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.FailoverReport;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Baton as it runs (proxy + monitor + failover engine) on a real 1+2 topology: sessions survive
 * an unplanned failover with their state, and sysbench survives a switchover.
 */
@WithSandbox(replicas = 2)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class NodeMigrationTest {

    static Connection connect(BatonNode n, TopologyFile.User u, String extra) throws Exception {
        Properties p = new Properties();
        p.setProperty("user", u.user());
        p.setProperty("password", u.password());
        p.setProperty("sslMode", "DISABLED");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + n.proxy().port() + "/app?" + extra, p);
    }

    @Test
    @Order(1)
    void idleSessionsKeepTheirStateThroughAnUnplannedFailover(SandboxTopology t) throws Exception {
        try (BatonNode n = BatonNode.start(TestNodes.config(t), null, null);
             Connection c = connect(n, t.user("app"), "useServerPrepStmts=true&cachePrepStmts=true");
             Statement s = c.createStatement()) {
            String old = n.proxy().source().name();
            s.execute("USE sbtest");
            s.execute("SET NAMES latin1");
            s.execute("SET SESSION sql_mode = 'ANSI_QUOTES'");
            s.execute("SET SESSION time_zone = '-05:00'");
            s.execute("SET SESSION max_execution_time = 7777");
            PreparedStatement ps = c.prepareStatement("SELECT ? * 2, DATABASE(), @@character_set_client, @@sql_mode, "
                    + "@@time_zone, @@max_execution_time, @@port");
            ps.setInt(1, 21);
            int oldPort;
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                assertEquals(42, rs.getInt(1));
                oldPort = rs.getInt(7);
            }
            long id = ((JdbcConnection) c).getId();

            t.kill(old);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            while (n.proxy().source().name().equals(old) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertNotEquals(old, n.proxy().source().name(), "Baton failed over");

            ps.setInt(1, 50);
            try (ResultSet rs = ps.executeQuery()) { // an idle session: no error at all
                rs.next();
                assertEquals(100, rs.getInt(1), "the prepared statement still works");
                assertEquals("sbtest", rs.getString(2), "schema");
                assertEquals("latin1", rs.getString(3), "character set");
                assertEquals("ANSI_QUOTES", rs.getString(4), "sql_mode");
                assertEquals("-05:00", rs.getString(5), "time_zone");
                assertEquals(7777, rs.getInt(6), "max_execution_time");
                assertNotEquals(oldPort, rs.getInt(7), "served by the new source");
            }
            assertEquals(id, ((JdbcConnection) c).getId(), "the same session: no reconnect");
            while (n.engine().busy() && System.nanoTime() < deadline) {
                Thread.sleep(20); // routing switches before the procedure finishes and files its report
            }
            FailoverReport r = n.engine().reports().latest().orElseThrow();
            assertTrue(r.succeeded(), r.describe());
            ps.close();
            // Bring the old source back as a replica, for the next test.
            t.start(old);
            FailoverReport rejoin = n.engine().rejoin(old, false, "test");
            assertTrue(rejoin.succeeded(), rejoin.describe());
        }
    }

    @Test
    @Order(2)
    void sysbenchWithPreparedStatementsRunsThroughASwitchover(SandboxTopology t) throws Exception {
        try (BatonNode n = BatonNode.start(TestNodes.config(t), null, null)) {
            TopologyFile.User u = t.user("app");
            List<String> base = List.of("sysbench", "oltp_read_write", "--db-driver=mysql", "--mysql-host=127.0.0.1",
                    "--mysql-port=" + n.proxy().port(), "--mysql-user=" + u.user(), "--mysql-password=" + u.password(),
                    "--mysql-db=sbtest", "--tables=2", "--table-size=5000");
            assertEquals(0, run(concat(base, "cleanup"), 60).exit);
            Run prepare = run(concat(base, "prepare"), 120);
            assertEquals(0, prepare.exit, prepare.output);
            Process bench = new ProcessBuilder(concat(base, "--threads=1", "--time=8", "--db-ps-mode=auto", "run"))
                    .redirectErrorStream(true).start();
            java.util.concurrent.CompletableFuture<String> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
                try {
                    return new String(bench.getInputStream().readAllBytes());
                } catch (java.io.IOException e) {
                    return e.toString();
                }
            });
            Thread.sleep(3000);
            String from = n.proxy().source().name();
            String to = t.servers().stream().map(TopologyFile.Server::name).filter(x -> !x.equals(from))
                    .filter(x -> n.monitor().snapshot().server(x).map(st -> st.reachable()).orElse(false))
                    .findFirst().orElseThrow();
            FailoverReport r = n.engine().switchover(to, "test");
            assertTrue(r.succeeded(), r.describe());
            assertTrue(bench.waitFor(60, TimeUnit.SECONDS));
            String output = out.get();
            assertEquals(0, bench.exitValue(), output);
            assertEquals("0", field(output, "ignored errors"), output);
            assertEquals("0", field(output, "reconnects"), output);
            assertTrue(Long.parseLong(field(output, "transactions")) > 0, output);
            assertEquals(to, n.proxy().source().name());
        }
    }

    private static String field(String output, String name) {
        Matcher m = Pattern.compile(name + ":\\s+(\\d+)").matcher(output);
        return m.find() ? m.group(1) : "missing";
    }

    private static List<String> concat(List<String> a, String... b) {
        List<String> out = new java.util.ArrayList<>(a);
        out.addAll(List.of(b));
        return out;
    }

    record Run(int exit, String output) {
    }

    private static Run run(List<String> cmd, int seconds) throws Exception {
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        java.util.concurrent.CompletableFuture<String> out = java.util.concurrent.CompletableFuture.supplyAsync(() -> {
            try {
                return new String(p.getInputStream().readAllBytes());
            } catch (java.io.IOException e) {
                return e.toString();
            }
        });
        if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            throw new AssertionError(cmd + " did not finish in " + seconds + " s");
        }
        return new Run(p.exitValue(), out.get());
    }
}
