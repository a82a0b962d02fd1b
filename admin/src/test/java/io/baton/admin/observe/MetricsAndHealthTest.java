package io.baton.admin.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.FailoverReport;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * /metrics and /health/* of a real Baton (proxy + monitor + engine) on a 1+2 topology: the meters
 * move with client traffic and with a switchover; ready follows the gate.
 */
@WithSandbox(replicas = 2)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MetricsAndHealthTest {

    static BatonConfig config(SandboxTopology t) throws Exception {
        return io.baton.admin.node.TestNodes.config(t);
    }

    static Connection connect(BatonNode n, String user, String password, String extra) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslMode", "DISABLED");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + n.proxy().port() + "/app?" + extra, p);
    }

    @Test
    @Order(1)
    void readyFollowsTheGate(SandboxTopology t) throws Exception {
        try (BatonNode n = BatonNode.start(config(t), null, null)) {
            int port = n.metricsServer().port();
            assertEquals(200, Scrape.get(port, "/health/live").statusCode());
            HttpResponse<String> ready = Scrape.get(port, "/health/ready");
            assertEquals(200, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("\"source\":\"" + n.proxy().source().name() + "\""), ready.body());

            n.proxy().closeGate("PAUSE by the test");
            HttpResponse<String> paused = Scrape.get(port, "/health/ready");
            assertEquals(503, paused.statusCode(), paused.body());
            assertTrue(paused.body().contains("the gate is closed: PAUSE by the test"), paused.body());
            assertTrue(paused.headers().firstValue("Content-Type").orElse("").startsWith("application/json"));
            assertEquals(1.0, Scrape.value(Scrape.metrics(port), "baton_gate_closed"));

            n.proxy().openGate();
            assertEquals(200, Scrape.get(port, "/health/ready").statusCode());
            assertEquals(404, Scrape.get(port, "/nothing-here").statusCode());
            assertEquals(1.0, Scrape.value(Scrape.metrics(port), "baton_gate_closures_total"));
        }
    }

    @Test
    @Order(2)
    void metersFollowTrafficAndSwitchover(SandboxTopology t) throws Exception {
        try (BatonNode n = BatonNode.start(config(t), null, null)) {
            int port = n.metricsServer().port();
            String before = Scrape.metrics(port);
            String source = n.proxy().source().name();
            assertEquals(1.0, Scrape.value(before, "baton_server_up", "server=" + source));
            assertEquals(1.0, Scrape.value(before, "baton_server_role", "server=" + source, "role=source"));
            assertEquals(0.0, Scrape.value(before, "baton_server_role", "server=" + source, "role=replica"));
            String replica = t.servers().stream().map(TopologyFile.Server::name).filter(x -> !x.equals(source))
                    .findFirst().orElseThrow();
            assertEquals(1.0, Scrape.value(before, "baton_server_role", "server=" + replica, "role=replica"));
            assertEquals(1.0, Scrape.value(before, "baton_server_replication_thread_running", "server=" + replica,
                    "thread=sql"));
            assertFalse(Double.isNaN(Scrape.value(before, "baton_server_replication_lag_seconds", "server=" + replica)));
            assertEquals(0.0, Scrape.value(before, "baton_procedures_total", "kind=switchover", "outcome=succeeded"));

            TopologyFile.User app = t.user("app");
            try (Connection c = connect(n, app.user(), app.password(), "useServerPrepStmts=true");
                 Statement s = c.createStatement()) {
                for (int i = 0; i < 5; i++) {
                    try (ResultSet rs = s.executeQuery("/* a comment */ SELECT " + i)) {
                        rs.next();
                    }
                }
                s.execute("CREATE TABLE IF NOT EXISTS metrics_probe (id INT PRIMARY KEY)");
                s.execute("REPLACE INTO metrics_probe VALUES (1)");
                try (PreparedStatement ps = c.prepareStatement("SELECT id FROM metrics_probe WHERE id = ?")) {
                    ps.setInt(1, 1);
                    ps.executeQuery().close();
                }
            }
            assertThrows(SQLException.class, () -> connect(n, app.user(), "not-the-password", "").close());

            String after = Scrape.metrics(port);
            assertTrue(delta(before, after, "baton_client_sessions_opened_total") >= 2, "sessions opened");
            assertTrue(delta(before, after, "baton_client_sessions_refused_total", "reason=access_denied") >= 1);
            assertTrue(delta(before, after, "baton_client_commands_total", "command=query") >= 7, "COM_QUERY");
            assertTrue(delta(before, after, "baton_client_commands_total", "command=stmt_prepare") >= 1);
            assertTrue(delta(before, after, "baton_client_commands_total", "command=stmt_execute") >= 1);
            assertTrue(delta(before, after, "baton_client_queries_total", "kind=select") >= 5, "SELECTs");
            assertTrue(delta(before, after, "baton_client_queries_total", "kind=ddl") >= 1, "CREATE TABLE");
            assertTrue(delta(before, after, "baton_client_queries_total", "kind=replace") >= 1, "REPLACE");
            assertTrue(delta(before, after, "baton_statement_duration_seconds_count") >= 9, "latency recorded");
            assertTrue(Scrape.value(after, "baton_statement_duration_seconds_bucket", "le=+Inf")
                    >= Scrape.value(after, "baton_statement_duration_seconds_count"));
            assertTrue(delta(before, after, "baton_client_received_bytes_total") > 0);
            assertTrue(delta(before, after, "baton_client_sent_bytes_total") > 0);
            assertTrue(delta(before, after, "baton_backend_connects_total") >= 1);

            FailoverReport r = n.engine().switchover(replica, "metrics test");
            assertTrue(r.succeeded(), r.describe());
            String done = Scrape.metrics(port);
            assertEquals(1.0, Scrape.value(done, "baton_procedures_total", "kind=switchover", "outcome=succeeded"));
            assertEquals(1.0, Scrape.value(done, "baton_procedure_duration_seconds_count", "kind=switchover"));
            for (FailoverReport.StepRecord step : r.steps()) {
                assertEquals(1.0, Scrape.value(done, "baton_procedure_step_duration_seconds_count", "kind=switchover",
                        "step=" + step.name(), "result=ok"), step.name() + "\n" + done);
            }
            assertTrue(Scrape.value(done, "baton_gate_closures_total") >= 1);
            java.nio.file.Files.writeString(Path.of("target", "metrics-sample.txt"), done);
            // Ready once the monitor's next round has seen the new source writable (one monitor.interval).
            long deadline = System.nanoTime() + 5_000_000_000L;
            HttpResponse<String> ready = Scrape.get(port, "/health/ready");
            while (ready.statusCode() != 200 && System.nanoTime() < deadline) {
                Thread.sleep(50);
                ready = Scrape.get(port, "/health/ready");
            }
            assertEquals(200, ready.statusCode(), ready.body());
            assertTrue(ready.body().contains("\"source\":\"" + replica + "\""), ready.body());
        }
    }

    private static double delta(String before, String after, String name, String... labels) {
        double a = Scrape.value(after, name, labels);
        double b = Scrape.value(before, name, labels);
        assertFalse(Double.isNaN(a), name + " is missing");
        return a - (Double.isNaN(b) ? 0 : b);
    }
}
