package io.baton.admin.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.baton.admin.BatonNode;
import io.baton.admin.cli.BatonCli;
import io.baton.admin.config.BatonConfig;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * The admin console of a running Baton (proxy + monitor + engine) on a real 1+2 topology, through
 * its line protocol and through {@code ./baton admin}: the refusals (no login, wrong password,
 * unknown command, FAILOVER on a healthy source, SWITCHOVER to a server that is not a healthy
 * replica) and what works (tables, JSON, sessions, PAUSE/RESUME, SET, a streamed SWITCHOVER).
 */
@WithSandbox(replicas = 2)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ConsoleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static BatonNode node;
    private static String password;
    private static int port;

    @BeforeAll
    static void start(SandboxTopology t) throws Exception {
        BatonConfig c = io.baton.admin.node.TestNodes.config(t);
        password = c.admin.password;
        node = BatonNode.start(c, null, null);
        assertNotNull(node.console(), "the console runs: the sandbox configuration has an admin password");
        port = node.console().port();
    }

    @AfterAll
    static void stop() {
        if (node != null) {
            node.close();
        }
    }

    static ConsoleClient login() throws IOException {
        ConsoleClient c = ConsoleClient.connect("127.0.0.1", port, Duration.ofSeconds(5));
        assertTrue(c.auth(password).ok());
        return c;
    }

    static ConsoleClient.Answer send(ConsoleClient c, String cmd) throws IOException {
        return c.send(cmd, line -> { });
    }

    static JsonNode json(ConsoleClient.Answer a) throws IOException {
        return JSON.readTree(a.last());
    }

    // -------------------------------------------------------------------------------- login

    @Test
    @Order(1)
    void greetsPromptsAndRefusesEverythingButAuthHelpQuitBeforeLogin() throws Exception {
        try (Socket s = new Socket("127.0.0.1", port)) {
            s.setSoTimeout(5000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            PrintWriter out = new PrintWriter(s.getOutputStream(), true);
            assertTrue(in.readLine().startsWith("Baton admin console"), "a greeting");
            char[] prompt = new char[7];
            assertEquals(7, in.read(prompt));
            assertEquals("baton> ", new String(prompt));
            out.print("show topology\r\n"); // telnet line end, lower case
            out.flush();
            assertEquals("ERROR not logged in: AUTH <password> first (before AUTH only AUTH, HELP and QUIT work)",
                    in.readLine());
        }
        try (ConsoleClient c = ConsoleClient.connect("127.0.0.1", port, Duration.ofSeconds(5))) {
            for (String cmd : List.of("SHOW SESSIONS", "FORMAT JSON", "PAUSE", "SWITCHOVER TO db2", "SET failover.auto = false")) {
                ConsoleClient.Answer a = send(c, cmd);
                assertFalse(a.ok(), cmd);
                assertTrue(a.message().startsWith("not logged in"), a.last());
            }
            assertTrue(node.proxy().isGateOpen(), "PAUSE before login did nothing");
            ConsoleClient.Answer help = send(c, "help");
            assertTrue(help.ok(), help.last());
            assertTrue(String.join("\n", help.lines()).contains("SWITCHOVER TO <server>"));
            ConsoleClient.Answer typedPassword = send(c, "hunter2-typed-alone");
            assertFalse(typedPassword.ok());
            assertFalse(typedPassword.last().contains("hunter2"), "nothing typed before login is echoed");
            assertTrue(send(c, "QUIT").ok());
        }
    }

    @Test
    @Order(2)
    void aWrongPasswordIsRefusedAfterADelayThatGrows() throws Exception {
        try (ConsoleClient c = ConsoleClient.connect("127.0.0.1", port, Duration.ofSeconds(5))) {
            long[] took = new long[3];
            for (int i = 0; i < 3; i++) {
                long t0 = System.nanoTime();
                ConsoleClient.Answer a = c.auth("not-the-password");
                took[i] = (System.nanoTime() - t0) / 1_000_000;
                assertFalse(a.ok());
                assertTrue(a.message().startsWith("wrong password"), a.last());
                assertFalse(a.last().contains("not-the-password"), "never echoed");
            }
            assertTrue(took[0] >= 150, "first failure waits ~200 ms: " + took[0]);
            assertTrue(took[1] >= 350 && took[2] >= 750 && took[2] > took[0] * 2, "the delay grows: " + List.of(took[0],
                    took[1], took[2]));
            assertFalse(send(c, "SHOW STATS").ok(), "still not logged in");
            assertTrue(c.auth(password).ok(), "the right password works on the same connection");
            assertTrue(send(c, "SHOW STATS").ok());
        }
    }

    @Test
    @Order(3)
    void fiveWrongPasswordsCloseTheConnection() throws Exception {
        try (ConsoleClient c = ConsoleClient.connect("127.0.0.1", port, Duration.ofSeconds(5))) {
            ConsoleClient.Answer a = null;
            for (int i = 0; i < LoginThrottle.MAX_PER_CONNECTION; i++) {
                a = c.auth("wrong-" + i);
                assertFalse(a.ok());
            }
            assertTrue(a.message().contains("closing"), a.last());
            assertThrows(IOException.class, () -> send(c, "HELP"), "closed");
        }
    }

    // -------------------------------------------------------------------------------- reading

    @Test
    @Order(4)
    void unknownCommandsSuggestTheClosestOnes() throws Exception {
        try (ConsoleClient c = login()) {
            ConsoleClient.Answer a = send(c, "SHOW TOPOLGY");
            assertFalse(a.ok());
            assertTrue(a.message().contains("did you mean SHOW TOPOLOGY"), a.last());
            a = send(c, "swtichover to db2");
            assertTrue(a.message().contains("unknown command 'swtichover to'") && a.message().contains("SWITCHOVER"), a.last());
            a = send(c, "SHOW");
            assertTrue(a.message().contains("SHOW needs one of: TOPOLOGY, SERVERS, SESSIONS, STATS, FAILOVERS, CONFIG"),
                    a.last());
            a = send(c, "SHOW FAILOVERS soon");
            assertTrue(a.message().contains("LAST or a number of reports from 1 to 50"), a.last());
            a = send(c, "HELP SWITCHOVER");
            assertTrue(a.ok() && String.join("\n", a.lines()).contains("healthy replica"), a.last());
        }
    }

    @Test
    @Order(5)
    void tablesShowTheTopologyServersStatsAndConfigWithoutPasswords(SandboxTopology t) throws Exception {
        try (ConsoleClient c = login()) {
            ConsoleClient.Answer topo = send(c, "show topology");
            assertTrue(topo.ok(), topo.last());
            String text = String.join("\n", topo.lines());
            assertTrue(text.contains("NAME") && text.contains("REPLICATES FROM") && text.contains("db1")
                    && text.contains("source *") && text.contains("gtid_executed"), text);
            for (String line : topo.lines().subList(0, topo.lines().size() - 1)) {
                assertTrue(line.isEmpty() || line.startsWith("  "), "answer lines are indented: '" + line + "'");
            }
            assertTrue(send(c, "SHOW SERVERS").ok());
            ConsoleClient.Answer stats = send(c, "SHOW STATS");
            assertTrue(String.join("\n", stats.lines()).contains("baton.client.sessions.open"), stats.lines().toString());
            ConsoleClient.Answer cfg = send(c, "SHOW CONFIG");
            String all = String.join("\n", cfg.lines());
            assertTrue(all.contains("failover.auto") && all.contains("*****"), all);
            assertFalse(all.contains(password), "the admin password is never shown");
            assertFalse(all.contains(t.user("monitor").password()), "nor any other");
            assertFalse(all.contains(t.user("app").password()));
        }
    }

    @Test
    @Order(6)
    void jsonModeAnswersOneObjectPerCommand() throws Exception {
        try (ConsoleClient c = login()) {
            ConsoleClient.Answer f = c.format(true);
            assertTrue(f.ok());
            JsonNode topo = json(send(c, "SHOW TOPOLOGY"));
            assertTrue(topo.get("ok").asBoolean());
            assertEquals("SHOW TOPOLOGY", topo.get("command").asText());
            assertEquals(3, topo.get("servers").size());
            assertEquals("db1", topo.get("source").get("name").asText());
            assertEquals("alive", topo.get("source").get("health").asText());
            JsonNode replica = topo.get("servers").get(1);
            assertEquals("Yes", replica.get("ioThread").asText());
            assertFalse(replica.get("gtidExecuted").asText().isEmpty());
            JsonNode stats = json(send(c, "SHOW STATS"));
            assertTrue(stats.get("meters").isArray() && stats.get("stats").isArray());
            JsonNode err = json(send(c, "FAILOVER TO db9"));
            assertFalse(err.get("ok").asBoolean());
            assertTrue(err.get("error").asText().contains("no server named 'db9'; servers: db1, db2, db3"), err.toString());
            JsonNode config = json(send(c, "SHOW CONFIG"));
            assertEquals("*****", config.get("config").get("admin").get("password").asText());
            assertTrue(c.format(false).ok());
            assertEquals("OK 3 server(s)", send(c, "SHOW SERVERS").last(), "back to tables");
        }
    }

    @Test
    @Order(7)
    void showSessionsShowsAConnectedClient(SandboxTopology t) throws Exception {
        try (Connection app = connect(t); Statement s = app.createStatement(); ConsoleClient c = login()) {
            s.execute("USE sbtest");
            try (ResultSet rs = s.executeQuery("SELECT 1")) {
                rs.next();
            }
            c.format(true);
            JsonNode sessions = json(send(c, "SHOW SESSIONS")).get("sessions");
            assertEquals(1, sessions.size(), sessions.toString());
            JsonNode row = sessions.get(0);
            assertEquals("app", row.get("user").asText());
            assertEquals("sbtest", row.get("schema").asText());
            assertEquals(t.server("db1").port(), Integer.parseInt(row.get("backend").asText().replaceAll(".*:", "")));
            assertTrue(row.get("client").asText().startsWith("127.0.0.1:"));
            assertTrue(row.get("commands").asLong() >= 2);
        }
    }

    // -------------------------------------------------------------------------------- changing things

    @Test
    @Order(8)
    void pauseHoldsStatementsAndResumeReleasesThem(SandboxTopology t) throws Exception {
        try (Connection app = connect(t); Statement s = app.createStatement(); ConsoleClient c = login()) {
            ConsoleClient.Answer p = send(c, "PAUSE");
            assertTrue(p.ok(), p.last());
            assertFalse(node.proxy().isGateOpen());
            assertFalse(send(c, "PAUSE").ok(), "closed already");
            CompletableFuture<Integer> held = CompletableFuture.supplyAsync(() -> {
                try (ResultSet rs = s.executeQuery("SELECT 42")) {
                    rs.next();
                    return rs.getInt(1);
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            });
            Thread.sleep(400);
            assertFalse(held.isDone(), "the statement waits at the gate");
            c.format(true);
            JsonNode stats = json(send(c, "SHOW STATS")).get("stats");
            boolean waiting = false;
            for (JsonNode r : stats) {
                waiting |= r.get("stat").asText().equals("gate.waiting") && r.get("value").asInt() == 1;
            }
            assertTrue(waiting, stats.toString());
            JsonNode r = json(send(c, "RESUME"));
            assertTrue(r.get("ok").asBoolean(), r.toString());
            assertEquals(42, held.get(5, TimeUnit.SECONDS));
            assertTrue(node.proxy().isGateOpen());
        }
    }

    @Test
    @Order(9)
    void setChangesRuntimeSettingsAndNamesThoseThatNeedARestart() throws Exception {
        BatonConfig cfg = node.config();
        try (ConsoleClient c = login()) {
            ConsoleClient.Answer a = send(c, "SET failover.auto = false");
            assertTrue(a.ok(), a.last());
            assertFalse(cfg.failover.auto);
            assertTrue(send(c, "set FAILOVER.AUTO=on").ok());
            assertTrue(cfg.failover.auto);
            a = send(c, "SET failover.auto = maybe");
            assertEquals("ERROR failover.auto takes true or false: 'maybe' is not true or false", a.last());
            a = send(c, "SET limits.ioThreads = 4");
            assertFalse(a.ok());
            assertTrue(a.message().contains("limits.ioThreads cannot be changed at runtime") && a.message().contains("restart"),
                    a.last());
            a = send(c, "SET monitor.interval = 1ms");
            assertEquals("ERROR monitor.interval takes a duration of 10ms or more, such as 500ms: '1ms' is shorter than 10ms",
                    a.last());
            a = send(c, "SET limits.maxPacketBytes = 100");
            assertFalse(a.ok());
            assertTrue(a.message().contains("100 is less than 1024"), a.last());
            a = send(c, "SET limits.idleTimeout = 99999999999999h");
            assertFalse(a.ok(), a.last());
            assertEquals(Duration.ofHours(8), cfg.limits.idleTimeout, "a refused value changes nothing");
            a = send(c, "SET admin.password = letmein");
            assertFalse(a.ok());
            assertFalse(a.last().contains("letmein"));
            a = send(c, "SET failover.blockSecond = 3");
            assertTrue(a.message().contains("did you mean failover.blockSeconds"), a.last());
            a = send(c, "SET monitor.failedChecks 3");
            assertTrue(a.message().contains("SET needs <key> = <value>"), a.last());
        }
    }

    @Test
    @Order(9)
    void setMonitorIntervalGateWaitAndLimitsTakesEffectInTheRunningProxy(SandboxTopology t) throws Exception {
        BatonConfig cfg = node.config();
        try (ConsoleClient c = login()) {
            // monitor.interval: the running schedule is replaced.
            assertEquals(cfg.monitor.interval.toMillis(), node.monitor().scheduledIntervalMillis());
            String before = io.baton.admin.config.DurationText.format(cfg.monitor.interval);
            ConsoleClient.Answer a = send(c, "SET monitor.interval = 750ms");
            assertTrue(a.ok(), a.last());
            assertEquals(750, node.monitor().scheduledIntervalMillis());
            java.time.Instant seen = node.monitor().snapshot().takenAt();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (!node.monitor().snapshot().takenAt().isAfter(seen) && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertTrue(node.monitor().snapshot().takenAt().isAfter(seen), "the monitor keeps checking on the new schedule");
            assertTrue(send(c, "SET monitor.interval = " + before).ok());

            // gate.maxWait: a statement held at a paused gate gets ERR 1205 after the new wait.
            assertTrue(send(c, "SET gate.maxWait = 300ms").ok());
            assertEquals(300, node.proxy().settings().gateMaxWait().toMillis());
            try (Connection app = connect(t); Statement s = app.createStatement()) {
                assertTrue(send(c, "PAUSE").ok());
                try {
                    SQLException e = assertThrows(SQLException.class, () -> s.executeQuery("SELECT 1"));
                    assertEquals(1205, e.getErrorCode(), e.getMessage());
                    assertTrue(e.getMessage().contains("300 ms"), e.getMessage());
                } finally {
                    assertTrue(send(c, "RESUME").ok());
                }
                assertTrue(send(c, "SET gate.maxWait = 10s").ok());

                // limits.maxPacketBytes: a larger statement gets ERR 1153, as from a server.
                assertTrue(send(c, "SET limits.maxPacketBytes = 2048").ok());
                String big = "SELECT '" + "x".repeat(4096) + "'";
                SQLException tooBig = assertThrows(SQLException.class, () -> s.executeQuery(big));
                assertEquals(1153, tooBig.getErrorCode(), tooBig.getMessage());
            }
            assertTrue(send(c, "SET limits.maxPacketBytes = 1073741824").ok());
            try (Connection app = connect(t); Statement s = app.createStatement();
                 ResultSet rs = s.executeQuery("SELECT LENGTH('" + "x".repeat(4096) + "')")) {
                assertTrue(rs.next());
                assertEquals(4096, rs.getInt(1), "the limit is back");
            }

            // limits.maxConnections: one more session than allowed gets ERR 1040; open sessions stay.
            awaitNoSessions();
            try (Connection first = connect(t)) {
                int open = node.proxy().sessions().open();
                assertTrue(send(c, "SET limits.maxConnections = " + open).ok());
                SQLException refused = assertThrows(SQLException.class, () -> connect(t).close());
                assertEquals(1040, refused.getErrorCode(), refused.getMessage());
                try (Statement s = first.createStatement(); ResultSet rs = s.executeQuery("SELECT 7")) {
                    assertTrue(rs.next(), "a session open before the change stays");
                }
            } finally {
                assertTrue(send(c, "SET limits.maxConnections = 3000").ok());
            }

            // limits.connectTimeout: a client that never logs in gets ERR 1043 after the new timeout.
            assertTrue(send(c, "SET limits.connectTimeout = 500ms").ok());
            try (Socket raw = new Socket("127.0.0.1", node.proxy().port())) {
                raw.setSoTimeout(10_000);
                byte[] all = raw.getInputStream().readAllBytes(); // the greeting, then the ERR, then the close
                int greeting = (all[0] & 0xFF) | (all[1] & 0xFF) << 8 | (all[2] & 0xFF) << 16;
                int err = 4 + greeting; // ERR: header, 0xFF, error code (2 bytes, little-endian)
                assertTrue(all.length > err + 6, "an ERR follows the greeting: " + all.length + " bytes");
                assertEquals(0xFF, all[err + 4] & 0xFF);
                assertEquals(1043, (all[err + 5] & 0xFF) | (all[err + 6] & 0xFF) << 8);
            } finally {
                assertTrue(send(c, "SET limits.connectTimeout = 10s").ok());
            }

            // limits.idleTimeout: an open idle session is closed with ERR 4031 once idle for the new timeout.
            awaitNoSessions();
            try (Connection idle = connect(t)) {
                assertEquals(1, node.proxy().sessions().open());
                assertTrue(send(c, "SET limits.idleTimeout = 1s").ok());
                awaitNoSessions();
                assertEquals(0, node.proxy().sessions().open(), "the idle session was closed");
                SQLException closed = assertThrows(SQLException.class, () -> {
                    try (Statement s = idle.createStatement()) {
                        s.executeQuery("SELECT 1");
                    }
                });
                assertTrue(closed.getMessage().contains("inactivity") || closed.getSQLState().startsWith("08"),
                        closed.getMessage());
            } finally {
                assertTrue(send(c, "SET limits.idleTimeout = 8h").ok());
            }
            assertEquals(Duration.ofHours(8), node.proxy().settings().idleTimeout());
        }
    }

    /** Sessions end asynchronously after their client closes; waits (bounded) until none is open. */
    private static void awaitNoSessions() throws InterruptedException {
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (node.proxy().sessions().open() > 0 && System.nanoTime() < until) {
            Thread.sleep(50);
        }
    }

    @Test
    @Order(10)
    void idleSessionsAreClosedAndConnectionsAreCapped() throws Exception {
        try (ConsoleClient c = login()) {
            assertTrue(send(c, "SET admin.idleTimeout = 1s").ok()); // applies from each session's next read
            ConsoleClient notLoggedIn = ConsoleClient.connect("127.0.0.1", port, Duration.ofSeconds(5));
            Thread.sleep(1500);
            ConsoleClient.Answer told = send(notLoggedIn, "HELP"); // what the console said before it closed
            assertEquals("ERROR idle for 1s without logging in: closing the connection", told.last());
            assertThrows(IOException.class, () -> send(notLoggedIn, "HELP"), "closed");
            assertEquals("ERROR idle for 1s (admin.idleTimeout): closing the connection", send(c, "HELP").last());
            notLoggedIn.close();
        }
        try (ConsoleClient c = login()) {
            assertTrue(send(c, "SET admin.idleTimeout = 10m").ok());
            assertTrue(send(c, "SET admin.maxConnections = 2").ok());
            try (ConsoleClient second = ConsoleClient.connect("127.0.0.1", port, Duration.ofSeconds(5))) {
                IOException refused = assertThrows(IOException.class,
                        () -> ConsoleClient.connect("127.0.0.1", port, Duration.ofSeconds(5)));
                assertTrue(refused.getMessage().contains("too many admin console connections"), refused.getMessage());
            } finally {
                assertTrue(send(c, "SET admin.maxConnections = 16").ok());
            }
        }
    }

    @Test
    @Order(11)
    void theConsoleStaysOnLoopbackAndOffWithoutAPassword() throws Exception {
        BatonConfig.Admin a = node.config().admin;
        String host = a.host;
        String pw = a.password;
        int p = a.port;
        try {
            a.host = "0.0.0.0";
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> ConsoleServer.start(node, Map.of()));
            assertTrue(e.getMessage().contains("admin.allowRemote"), e.getMessage());
            a.host = "127.0.0.1";
            a.password = null;
            assertTrue(ConsoleServer.start(node, Map.of()).isEmpty(), "no password: no console");
            a.port = io.baton.sandbox.Sandbox.freeLoopbackPort();
            try (ConsoleServer fromEnv = ConsoleServer.start(node, Map.of(AdminPassword.ENV, "from-env")).orElseThrow();
                 ConsoleClient c = ConsoleClient.connect("127.0.0.1", fromEnv.port(), Duration.ofSeconds(5))) {
                assertTrue(c.auth("from-env").ok());
            }
        } finally {
            a.host = host;
            a.password = pw;
            a.port = p;
        }
    }

    // -------------------------------------------------------------------------------- procedures

    @Test
    @Order(12)
    void failoverOnAHealthySourceIsRefusedWithoutForce() throws Exception {
        try (ConsoleClient c = login()) {
            ConsoleClient.Answer a = send(c, "FAILOVER");
            assertFalse(a.ok());
            assertTrue(a.message().startsWith("the source db1 is healthy") && a.message().contains("SWITCHOVER TO <replica>")
                    && a.message().contains("FORCE"), a.last());
            a = send(c, "FAILOVER TO db2");
            assertFalse(a.ok());
            a = send(c, "FAILOVER NOW");
            assertTrue(a.message().contains("FAILOVER [TO <server>] [FORCE]"), a.last());
            assertEquals("db1", node.proxy().source().name(), "nothing changed");
            assertTrue(node.engine().reports().all().isEmpty(), "no procedure ran");
        }
    }

    @Test
    @Order(13)
    void switchoverToAServerThatIsNotAHealthyReplicaIsRefused(SandboxTopology t) throws Exception {
        try (ConsoleClient c = login()) {
            ConsoleClient.Answer a = send(c, "SWITCHOVER TO db1");
            assertTrue(a.message().contains("db1 is the source already") && a.message().contains("healthy replicas now: db2, db3"),
                    a.last());
            a = send(c, "SWITCHOVER TO db7");
            assertTrue(a.message().contains("no server named 'db7'; servers: db1, db2, db3"), a.last());
            a = send(c, "SWITCHOVER db2");
            assertTrue(a.message().contains("SWITCHOVER needs TO <server>"), a.last());
            try (Connection root = t.connectRoot("db3"); Statement s = root.createStatement()) {
                s.execute("STOP REPLICA SQL_THREAD");
                try {
                    node.monitor().refresh();
                    a = send(c, "SWITCHOVER TO db3");
                    assertFalse(a.ok());
                    assertTrue(a.message().contains("db3's replication threads are not both running (IO Yes, SQL No)")
                            && a.message().contains("healthy replicas now: db2"), a.last());
                } finally {
                    s.execute("START REPLICA SQL_THREAD");
                }
            }
            assertTrue(node.engine().reports().all().isEmpty(), "no procedure ran");
        }
    }

    @Test
    @Order(14)
    void switchoverStreamsItsStepsAndSucceeds(SandboxTopology t) throws Exception {
        t.awaitReplication(30);
        node.monitor().refresh();
        try (ConsoleClient c = login()) {
            List<String> lines = new ArrayList<>();
            AtomicBoolean streamedWhileRunning = new AtomicBoolean();
            ConsoleClient.Answer a = c.send("SWITCHOVER TO db2", line -> {
                if (lines.isEmpty()) {
                    streamedWhileRunning.set(node.engine().busy());
                }
                lines.add(line);
            });
            assertTrue(a.ok(), String.join("\n", lines));
            assertTrue(streamedWhileRunning.get(), "the first step arrived while the switchover was still running");
            String text = String.join("\n", lines);
            int started = text.indexOf("...            promote the candidate");
            int done = text.indexOf("promote the candidate: db2 is writable");
            assertTrue(started >= 0 && done > started, text);
            assertTrue(text.contains("ok ") && text.contains(" ms  open the gate: open"), text);
            assertTrue(a.last().startsWith("OK switchover #1 (manual (console 127.0.0.1:") && a.last().contains("db1 -> db2 succeeded"),
                    a.last());
            assertEquals("db2", node.proxy().source().name());

            ConsoleClient.Answer last = send(c, "SHOW FAILOVERS LAST");
            String report = String.join("\n", last.lines());
            assertTrue(report.contains("STEP") && report.contains("promote the candidate") && report.contains("MS"), report);
            c.format(true);
            JsonNode reports = json(send(c, "SHOW FAILOVERS 1")).get("reports");
            assertEquals("switchover", reports.get(0).get("kind").asText());
            assertEquals("succeeded", reports.get(0).get("outcome").asText());
            assertTrue(reports.get(0).get("steps").size() >= 8);
            assertTrue(reports.get(0).get("steps").get(0).has("durationMillis"));
        }
    }

    @Test
    @Order(15)
    void jsonStreamsStepEventsThenOneVerdict() throws Exception {
        try (ConsoleClient c = login()) {
            c.format(true);
            List<JsonNode> events = new ArrayList<>();
            ConsoleClient.Answer a = c.send("REJOIN db1", line -> {
                try {
                    events.add(JSON.readTree(line));
                } catch (IOException e) {
                    throw new IllegalStateException(line, e);
                }
            });
            JsonNode verdict = events.get(events.size() - 1);
            assertTrue(a.ok(), verdict.toString());
            assertEquals("REJOIN", verdict.get("command").asText());
            assertEquals("rejoin", verdict.get("report").get("kind").asText());
            for (JsonNode e : events.subList(0, events.size() - 1)) {
                assertEquals("step", e.get("event").asText());
                assertFalse(e.has("ok"), "only the verdict has ok");
            }
            assertTrue(events.size() > 4, events.toString());
        }
    }

    @Test
    @Order(16)
    void failoverForceFencesTheLiveSourceFirst(SandboxTopology t) throws Exception {
        t.awaitReplication(30);
        node.monitor().refresh();
        String old = node.proxy().source().name();
        try (ConsoleClient c = login()) {
            List<String> lines = new ArrayList<>();
            ConsoleClient.Answer a = c.send("failover to db3 force", lines::add);
            String text = String.join("\n", lines);
            assertTrue(a.ok(), text);
            assertTrue(text.contains("fence " + old + ": read-only"), text);
            assertTrue(text.indexOf("fence " + old) < text.indexOf("stop the IO threads"), "fenced before the procedure");
            assertEquals("db3", node.proxy().source().name());
            try (Connection root = t.connectRoot(old); Statement s = root.createStatement();
                 ResultSet rs = s.executeQuery("SELECT @@super_read_only")) {
                rs.next();
                assertEquals(1, rs.getInt(1), "the old source stays fenced");
            }
        }
    }

    // -------------------------------------------------------------------------------- ./baton admin

    @Test
    @Order(17)
    void theInteractiveClientSendsEachLineAndKeepsAHistoryWithoutAuthLines(@TempDir Path dir) throws Exception {
        // The loop ./baton admin runs on a terminal, here on a JLine terminal over streams; end of input quits.
        byte[] typed = ("show servers\nAUTH " + password + "\nSET nosuch = 1\n").getBytes(StandardCharsets.UTF_8);
        java.io.ByteArrayOutputStream screen = new java.io.ByteArrayOutputStream();
        Path history = dir.resolve("history");
        int code;
        try (ConsoleClient c = login();
             org.jline.terminal.Terminal terminal = new org.jline.terminal.impl.DumbTerminal("test", "dumb",
                     new java.io.ByteArrayInputStream(typed), screen, StandardCharsets.UTF_8)) {
            code = io.baton.admin.cli.AdminCommand.interactive(c, "127.0.0.1", port, terminal, history);
        }
        String shown = screen.toString(StandardCharsets.UTF_8);
        assertEquals(0, code, shown);
        assertTrue(shown.contains("Connected to 127.0.0.1:" + port + " and logged in"), shown);
        assertTrue(shown.contains("OK 3 server(s)"), shown);
        assertTrue(shown.contains("ERROR no setting 'nosuch'"), shown);
        String saved = Files.readString(history);
        assertTrue(saved.contains("show servers") && saved.contains("SET nosuch = 1"), saved);
        assertFalse(saved.contains("AUTH") || saved.contains(password), "AUTH lines are never kept: " + saved);
    }

    @Test
    @Order(18)
    void batonAdminExitsZeroOnOkAndNonZeroOnError() throws Exception {
        String p = String.valueOf(port);
        Run ok = baton("admin", "--port", p, "--password", password, "-e", "SHOW SERVERS");
        assertEquals(0, ok.code, ok.err);
        assertTrue(ok.out.contains("db2") && ok.out.trim().endsWith("OK 3 server(s)"), ok.out);

        Run error = baton("admin", "--port", p, "--password", password, "-e", "SWITCHOVER TO db9");
        assertEquals(BatonCli.EXIT_FAILED, error.code);
        assertTrue(error.out.contains("ERROR no server named 'db9'"), error.out);

        Run json = baton("admin", "--port", p, "--password", password, "--json", "-e", "SHOW STATS");
        assertEquals(0, json.code, json.err);
        assertTrue(JSON.readTree(json.out.trim()).get("ok").asBoolean());

        Path pwFile = Files.createTempFile("admin", ".pw");
        Files.writeString(pwFile, password + "\n");
        Run file = baton("admin", "--port", p, "--password-file", pwFile.toString(), "-e", "SHOW SESSIONS", "-e", "HELP QUIT");
        assertEquals(0, file.code, file.err);

        Run wrong = baton("admin", "--port", p, "--password", "nope", "-e", "SHOW STATS");
        assertEquals(BatonCli.EXIT_FAILED, wrong.code);
        assertTrue(wrong.err.contains("refused the password: wrong password"), wrong.err);
        assertFalse(wrong.err.contains("nope"));

        Run both = baton("admin", "--port", p, "--password", "x", "--password-file", pwFile.toString(), "-e", "HELP");
        assertEquals(BatonCli.EXIT_USAGE, both.code, both.err);

        Run nobody = baton("admin", "--port", String.valueOf(io.baton.sandbox.Sandbox.freeLoopbackPort()), "--password", "x", "-e", "HELP");
        assertEquals(BatonCli.EXIT_FAILED, nobody.code);
        assertTrue(nobody.err.contains("cannot reach the admin console"), nobody.err);
    }

    record Run(int code, String out, String err) {
    }

    static Run baton(String... args) {
        CommandLine cl = BatonCli.commandLine();
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    static Connection connect(SandboxTopology t) throws Exception {
        TopologyFile.User u = t.user("app");
        Properties p = new Properties();
        p.setProperty("user", u.user());
        p.setProperty("password", u.password());
        p.setProperty("sslMode", "DISABLED");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + node.proxy().port() + "/app", p);
    }
}
