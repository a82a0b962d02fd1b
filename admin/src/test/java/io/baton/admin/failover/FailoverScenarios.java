package io.baton.admin.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.Monitor;
import io.baton.proxy.routing.Endpoint;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.TopologyFile;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.NavigableSet;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The failover engine on a real topology, one subclass per flavor and mode; the scenarios run in
 * order on one shared topology (each leaves it healthy for the next): a kill -9 of the source under
 * write load (a replica lagging, and with 3 replicas one of them down), the old source coming back
 * with an errant transaction (fenced, rejoin refused, forced rejoin works), and a planned switchover
 * and a switch back. Every scenario checks the data, not only the procedure's word.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class FailoverScenarios {
    /** Shared across the ordered scenarios of one class (one topology). */
    static String oldSource;
    static String newSource;
    static final List<FailoverReport> REPORTS = new ArrayList<>();
    /** Reports of this class, kept as files as failover.reportDir does, shared by the scenarios. */
    static java.nio.file.Path reportDir;

    private Monitor monitor;
    private FailoverEngine engine;
    RecordingRoutingControl routing;

    boolean gtid(SandboxTopology t) {
        return "gtid".equals(t.file().mode());
    }

    static BatonConfig config(SandboxTopology t) {
        BatonConfig c = new BatonConfig();
        for (TopologyFile.Server s : t.servers()) {
            BatonConfig.Server cs = new BatonConfig.Server();
            cs.name = s.name();
            cs.host = s.host();
            cs.port = s.port();
            c.servers.add(cs);
        }
        c.monitor.user = t.user("monitor").user();
        c.monitor.password = t.user("monitor").password();
        c.monitor.interval = Duration.ofMillis(200);
        c.monitor.connectTimeout = Duration.ofMillis(500);
        c.monitor.queryTimeout = Duration.ofSeconds(2);
        c.monitor.failedChecks = 3;
        c.replication.mode = t.file().mode();
        c.replication.user = t.user("replication").user();
        c.replication.password = t.user("replication").password();
        BatonConfig.User app = new BatonConfig.User();
        app.user = "app";
        app.password = t.user("app").password();
        c.users.add(app);
        c.failover.applyTimeout = Duration.ofSeconds(20);
        c.validate("test");
        return c;
    }

    FailoverEngine start(SandboxTopology t, String source, boolean monitorRunning) {
        BatonConfig c = config(t);
        TopologyFile.Server s = t.server(source);
        routing = new RecordingRoutingControl(new Endpoint(s.name(), s.host(), s.port()));
        monitor = new Monitor(c);
        // Each scenario starts a new engine on the same report files: what a restarted process would see.
        engine = new FailoverEngine(c, monitor, routing, new ReportHistory(reportDir));
        engine.start();
        if (monitorRunning) {
            monitor.start();
        }
        return engine;
    }

    @AfterEach
    void stopEngine() {
        if (engine != null) {
            engine.close();
            monitor.close();
            engine = null;
        }
    }

    // ------------------------------------------------------------------------------------------------

    @org.junit.jupiter.api.BeforeAll
    static void freshHistory(org.junit.jupiter.api.TestInfo info) throws java.io.IOException {
        reportDir = java.nio.file.Path.of("target", "failover-reports", info.getTestClass().orElseThrow().getSimpleName());
        if (java.nio.file.Files.isDirectory(reportDir)) {
            try (var files = java.nio.file.Files.list(reportDir)) {
                for (java.nio.file.Path f : files.toList()) {
                    java.nio.file.Files.delete(f);
                }
            }
        }
        newSource = null;
        oldSource = null;
    }

    @Test
    @Order(1)
    void killOfTheSourceUnderWriteLoadFailsOverWithoutLosingReceivedRows(SandboxTopology t) throws Exception {
        t.resetData();
        oldSource = t.initialSource().name();
        List<String> replicas = t.servers().stream().map(TopologyFile.Server::name).filter(n -> !n.equals(oldSource)).toList();
        exec(t, oldSource, "CREATE TABLE app.t (id BIGINT PRIMARY KEY, v VARCHAR(20))");
        t.awaitReplication(30);

        String down = replicas.size() >= 3 ? replicas.get(replicas.size() - 1) : null;
        String lagging = replicas.get(down == null ? replicas.size() - 1 : replicas.size() - 2);
        if (down != null) {
            t.kill(down); // a replica down during the failover
        }
        // A lagging replica: in GTID mode it stops receiving (it must catch up from the new source, G13);
        // in position mode it stops applying (the failover must apply its relay log before choosing).
        exec(t, lagging, gtid(t) ? t.dialect().stopReplicaIoThread() : t.dialect().stopReplicaSqlThread());

        FailoverEngine e = start(t, oldSource, true);
        TopologyFile.Server src = t.server(oldSource);
        WriteLoad load = new WriteLoad(src.host(), src.port(), "app", t.user("app").password(), 1, 1_000_000);
        load.awaitAcked(300, 20_000); // the lagging replica misses (GTID) or has not applied (position) these rows
        long killedAt = System.nanoTime();
        t.kill(oldSource);
        load.join(10_000);
        assertFalse(load.running(), "the load stops when the source dies");

        FailoverReport r = awaitReport(e, 60_000);
        long total = (System.nanoTime() - killedAt) / 1_000_000;
        REPORTS.add(r);
        System.out.println("[failover] kill -9 to report done: " + total + " ms\n" + r.describe());
        assertTrue(r.succeeded(), r.describe());
        assertTrue(r.trigger().startsWith("automatic"), r.trigger());
        newSource = r.newSource();
        assertNotNull(newSource);
        assertNotEquals(lagging, gtid(t) ? newSource : "", "the lagging replica is not the most advanced");
        assertEquals(List.of("closeGate", "switchTo " + newSource, "openGate"), routing.calls);
        String errantStep = stepResult(r, "find errant transactions");
        if (gtid(t)) {
            assertTrue(errantStep.startsWith("none on ") && r.errantTransactions().isEmpty(), errantStep);
        } else {
            assertTrue(errantStep.startsWith("not checked in position mode"), errantStep);
        }
        if (down != null) {
            assertTrue(r.leftOut().stream().anyMatch(l -> l.startsWith(down + ":")), r.leftOut().toString());
        }

        List<String> survivors = new ArrayList<>(replicas);
        survivors.remove(down);
        // Position mode: a replica whose IO thread had received less than the candidate's when the source died
        // cannot catch up (the candidate's binary log starts at the promotion); the report must say so.
        List<String> behind = survivors.stream().filter(n -> r.leftOut().stream()
                .anyMatch(l -> l.startsWith(n + ":") && l.contains("cannot catch up in position mode"))).toList();
        if (gtid(t)) {
            assertEquals(List.of(), behind, "in GTID mode every replica catches up");
        }
        for (String b : behind) { // only a replica that had received other than the new source
            String pos = r.positions().get(b);
            assertNotNull(pos, r.positions().toString());
            assertFalse(pos.contains(r.positions().get(newSource).replaceAll(";.*", "")), pos + " vs the new source");
        }
        survivors.removeAll(behind);
        assertExactlyOneWritable(t, newSource);
        NavigableSet<Long> onNew = ids(t, newSource);
        // Every acknowledged row up to the last one the new source has is there: no hole, only a lost tail.
        for (long id : load.acked) {
            if (id <= onNew.last()) {
                assertTrue(onNew.contains(id), "acknowledged row " + id + " is missing on the new source");
            }
        }
        awaitConverged(t, newSource, survivors);
        if (gtid(t)) {
            assertTrue(ids(t, lagging).containsAll(onNew), "the lagging replica caught up from the new source (G13)");
        }

        if (down != null) {
            t.start(down);
            FailoverReport rejoin = e.rejoin(down, false, "test");
            assertTrue(rejoin.succeeded(), rejoin.describe());
            List<String> following = new ArrayList<>(replicas);
            following.removeAll(behind);
            awaitConverged(t, newSource, following);
        }
        System.out.println("[failover] acked " + load.acked.size() + " rows, new source has " + onNew.size());
    }

    @Test
    @Order(2)
    void theOldSourceReturnsIsFencedAndItsErrantTransactionBlocksTheRejoinUnlessForced(SandboxTopology t) throws Exception {
        assertNotNull(newSource, "runs after the failover scenario");
        t.start(oldSource);
        // A write on the old source that no replica ever received: an errant transaction.
        exec(t, oldSource, "INSERT INTO app.t (id, v) VALUES (900000001, 'errant')");

        FailoverEngine e = start(t, newSource, true);
        awaitReadOnly(t, oldSource, 10_000);

        FailoverReport refused = e.rejoin(oldSource, false, "test");
        System.out.println("[rejoin refused]\n" + refused.describe());
        assertFalse(refused.succeeded());
        assertEquals("find errant transactions", refused.stoppedAt());
        assertTrue(refused.failure().contains(errantMarker(t)), refused.failure());
        assertExactlyOneWritable(t, newSource);

        FailoverReport forced = e.rejoin(oldSource, true, "test");
        System.out.println("[rejoin forced]\n" + forced.describe());
        assertTrue(forced.succeeded(), forced.describe());
        assertTrue(forced.warnings().stream().anyMatch(w -> w.startsWith("forced")), forced.warnings().toString());
        exec(t, newSource, "INSERT INTO app.t (id, v) VALUES (900000002, 'after rejoin')");
        awaitRow(t, oldSource, 900000002L, 30_000);
        assertTrue(ids(t, oldSource).contains(900000001L), "the errant row stays on the old source only");
        assertFalse(ids(t, newSource).contains(900000001L));
        assertExactlyOneWritable(t, newSource);
        // Leave the topology clean for the next scenario: drop the errant row locally.
        try (Connection c = t.connectRoot(oldSource); Statement s = c.createStatement()) {
            s.execute("SET SESSION sql_log_bin=0");
            for (String sql : t.dialect().setReadOnly(false)) {
                s.execute(sql);
            }
            s.execute("DELETE FROM app.t WHERE id = 900000001");
            for (String sql : t.dialect().setReadOnly(true)) {
                s.execute(sql);
            }
        }
    }

    /** What the refusal must name: MySQL the old source's UUID, MariaDB its server id, position mode the events. */
    String errantMarker(SandboxTopology t) throws SQLException {
        if (!gtid(t)) {
            return "binary log goes on after";
        }
        if (t.dialect().isMariaDb()) {
            return "-" + t.server(oldSource).serverId() + "-";
        }
        try (Connection c = t.connectRoot(oldSource)) {
            return Sql.scalar(c, "SELECT @@server_uuid");
        }
    }

    @Test
    @Order(3)
    void aPlannedSwitchoverAndASwitchBackLoseNoAcknowledgedWrite(SandboxTopology t) throws Exception {
        assertNotNull(newSource, "runs after the failover scenario");
        FailoverEngine e = start(t, newSource, true);
        String from = newSource;
        // A replica that runs both threads from the current source, other than the old source (force-
        // rejoined with its errant transactions). In position mode the failover may have left a lagging
        // replica out (it cannot catch up), and then there is nothing healthy to switch over to.
        java.util.Optional<String> healthy = t.servers().stream().map(TopologyFile.Server::name)
                .filter(n -> !n.equals(from) && !n.equals(oldSource) && healthyReplicaOf(t, n, from)).findFirst();
        org.junit.jupiter.api.Assumptions.assumeTrue(healthy.isPresent(),
                "no healthy replica of " + from + " besides the force-rejoined old source: the failover left the lagging one out");
        String via = healthy.get();
        if (gtid(t)) {
            // The old source still carries its errant transaction (forced rejoin): promoting it would spread it.
            FailoverReport refused = e.switchover(oldSource, "test");
            assertFalse(refused.succeeded());
            assertEquals("pre-flight checks", refused.stoppedAt());
            assertTrue(refused.failure().contains("would send them to every replica"), refused.failure());
            assertTrue(routing.calls.isEmpty(), "nothing touched: " + routing.calls);
        }
        // The CLI's view of the same topology (the baton.yml the sandbox wrote).
        java.io.StringWriter out = new java.io.StringWriter();
        var cli = io.baton.admin.cli.BatonCli.commandLine();
        cli.setOut(new java.io.PrintWriter(out, true));
        assertEquals(0, cli.execute("topology", "--config", t.dir().resolve("baton.yml").toString()));
        assertTrue(out.toString().contains("source: " + from) && out.toString().contains(from + " "), out.toString());
        long base = 2_000_000;
        for (String target : List.of(via, from)) { // the switchover, then the switch back
            String current = routing.source().name();
            TopologyFile.Server src = t.server(current);
            WriteLoad load = new WriteLoad(src.host(), src.port(), "app", t.user("app").password(), base, 1_000_000);
            load.awaitAcked(200, 20_000);
            FailoverReport r = e.switchover(target, "test");
            load.close();
            REPORTS.add(r);
            System.out.println("[switchover] gate closed for " + gatePause(r) + " ms\n" + r.describe());
            assertTrue(r.succeeded(), r.describe());
            assertEquals(target, r.newSource());
            assertTrue(routing.calls.containsAll(List.of("closeGate", "awaitNoOpenTransactions", "switchTo " + target, "openGate")));
            assertExactlyOneWritable(t, target);
            NavigableSet<Long> onTarget = ids(t, target);
            for (long id : load.acked) {
                assertTrue(onTarget.contains(id), "acknowledged row " + id + " lost by the switchover");
            }
            // The force-rejoined old source is not expected to converge: its errant transactions stay
            // there and may stop its replication on a duplicate key (TOPOLOGY-FACTS G26).
            awaitConverged(t, target, t.servers().stream().map(TopologyFile.Server::name)
                    .filter(n -> !n.equals(target) && !n.equals(oldSource)).toList());
            base += 1_000_000;
        }
    }

    /** From closing the gate to opening it, as the report's steps measured it. */
    static long gatePause(FailoverReport r) {
        long sum = 0;
        boolean in = false;
        for (FailoverReport.StepRecord s : r.steps()) {
            in |= s.name().equals("close the gate");
            if (in) {
                sum += s.durationMillis();
            }
            if (s.name().equals("open the gate")) {
                break;
            }
        }
        return sum;
    }

    // ------------------------------------------------------------------------------------------------

    /** The result of the named step (it must have run). */
    static String stepResult(FailoverReport r, String step) {
        return r.steps().stream().filter(s -> s.name().equals(step)).map(FailoverReport.StepRecord::result).findFirst()
                .orElseThrow(() -> new AssertionError("no step '" + step + "' in\n" + r.describe()));
    }

    static FailoverReport awaitReport(FailoverEngine e, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            var latest = e.reports().latest();
            if (latest.isPresent() && !e.busy()) {
                return latest.get();
            }
            Thread.sleep(20);
        }
        fail("no failover within " + timeoutMillis + " ms");
        return null;
    }

    static void exec(SandboxTopology t, String server, String sql) throws SQLException {
        try (Connection c = t.connectRoot(server)) {
            Sql.exec(c, sql);
        }
    }

    static NavigableSet<Long> ids(SandboxTopology t, String server) throws SQLException {
        NavigableSet<Long> out = new TreeSet<>();
        try (Connection c = t.connectRoot(server); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT id FROM app.t")) {
            while (rs.next()) {
                out.add(rs.getLong(1));
            }
        }
        return out;
    }

    static String checksum(SandboxTopology t, String server) throws SQLException {
        try (Connection c = t.connectRoot(server)) {
            return Sql.row(c, "CHECKSUM TABLE app.t").get("Checksum");
        }
    }

    /** Waits until every server has the same rows as the source (checksum), bounded. */
    static void awaitConverged(SandboxTopology t, String source, List<String> servers) throws Exception {
        long deadline = System.currentTimeMillis() + 30_000;
        String want = checksum(t, source);
        for (String s : servers) {
            if (s.equals(source)) {
                continue;
            }
            while (!want.equals(checksum(t, s))) {
                if (System.currentTimeMillis() > deadline) {
                    NavigableSet<Long> a = ids(t, source);
                    NavigableSet<Long> b = ids(t, s);
                    fail(s + " did not converge with " + source + ": " + a.size() + " vs " + b.size() + " rows");
                }
                Thread.sleep(50);
                want = checksum(t, source);
            }
        }
    }

    static void awaitRow(SandboxTopology t, String server, long id, long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (!ids(t, server).contains(id)) {
            if (System.currentTimeMillis() > deadline) {
                fail(server + " never received row " + id);
            }
            Thread.sleep(50);
        }
    }

    static void awaitReadOnly(SandboxTopology t, String server, long timeoutMillis) throws Exception {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (true) {
            try (Connection c = t.connectRoot(server)) {
                if ("1".equals(Sql.scalar(c, "SELECT @@GLOBAL.read_only"))) {
                    return;
                }
            }
            if (System.currentTimeMillis() > deadline) {
                fail(server + " was not fenced within " + timeoutMillis + " ms");
            }
            Thread.sleep(50);
        }
    }

    static void assertExactlyOneWritable(SandboxTopology t, String expected) throws SQLException {
        List<String> writable = new ArrayList<>();
        for (TopologyFile.Server s : t.servers()) {
            try (Connection c = t.connectRoot(s.name())) {
                if ("0".equals(Sql.scalar(c, "SELECT @@GLOBAL.read_only"))) {
                    writable.add(s.name());
                }
            } catch (SQLException down) {
                // not running: not writable
            }
        }
        assertEquals(List.of(expected), writable, "exactly one writable server");
    }

    static Map<String, String> row(SandboxTopology t, String server, String sql) throws SQLException {
        try (Connection c = t.connectRoot(server)) {
            return Sql.row(c, sql);
        }
    }

    private static boolean healthyReplicaOf(SandboxTopology t, String name, String source) {
        io.baton.dialect.Dialect d = t.dialect();
        try (java.sql.Connection c = t.connectRoot(name)) {
            java.util.Map<String, String> st = io.baton.sandbox.Sql.row(c, d.showReplicaStatus());
            return !st.isEmpty() && String.valueOf(t.server(source).port()).equals(st.get(d.col(io.baton.dialect.Dialect.ReplicaColumn.SOURCE_PORT)))
                    && "Yes".equals(st.get(d.col(io.baton.dialect.Dialect.ReplicaColumn.IO_RUNNING)))
                    && "Yes".equals(st.get(d.col(io.baton.dialect.Dialect.ReplicaColumn.SQL_RUNNING)));
        } catch (java.sql.SQLException e) {
            return false;
        }
    }
}
