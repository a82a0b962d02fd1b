package io.baton.admin.failover;

import static io.baton.admin.failover.FailoverScenarios.assertExactlyOneWritable;
import static io.baton.admin.failover.FailoverScenarios.awaitConverged;
import static io.baton.admin.failover.FailoverScenarios.awaitReadOnly;
import static io.baton.admin.failover.FailoverScenarios.awaitRow;
import static io.baton.admin.failover.FailoverScenarios.exec;
import static io.baton.admin.failover.FailoverScenarios.ids;
import static io.baton.admin.failover.FailoverScenarios.stepResult;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.admin.topology.GtidSet;
import io.baton.dialect.Dialect;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.TopologyFile;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.NavigableSet;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Failover with errant transactions (GTID mode, 1 source + 2 replicas, in order on one topology):
 * a replica written to directly (sql_log_bin=1) before the source dies. The failover compares the
 * replicas with what the lost source had executed when the monitor last saw it; the report names the
 * errant transactions, the choice prefers a replica without them among equally advanced ones, and
 * never trades acknowledged transactions for it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class ErrantFailoverScenarios {
    /** Shared by the ordered scenarios. */
    static String firstSource;
    static String promoted;
    static String lagging;

    @BeforeAll
    static void reset() {
        firstSource = null;
        promoted = null;
        lagging = null;
    }

    @Test
    @Order(1)
    void theMostAdvancedReplicaHasALocalWriteItIsPromotedAnywayAndTheReportNamesIt(SandboxTopology t) throws Exception {
        t.resetData();
        firstSource = t.initialSource().name();
        List<String> replicas = t.servers().stream().map(TopologyFile.Server::name).filter(n -> !n.equals(firstSource)).toList();
        lagging = replicas.get(0);
        String errantOn = replicas.get(1);
        exec(t, firstSource, "CREATE TABLE app.t (id BIGINT PRIMARY KEY, v VARCHAR(20))");
        insertRows(t, firstSource, 1, 10);
        t.awaitReplication(30);
        String errantGtid = localWrite(t, errantOn, 900_000_001L);
        // The other replica stops receiving: the one with the errant transaction is the only most advanced.
        exec(t, lagging, t.dialect().stopReplicaIoThread());

        try (EngineUnderTest u = new EngineUnderTest(t, firstSource, c -> { })) {
            u.awaitSeen(firstSource, 10_000);
            insertRows(t, firstSource, 11, 20);
            awaitRow(t, errantOn, 20, 30_000);
            t.kill(firstSource);

            FailoverReport r = u.awaitReports(1, 60_000).get(0);
            System.out.println("[errant, most advanced] " + errantGtid + "\n" + r.describe());
            assertTrue(r.succeeded(), r.describe());
            assertEquals(errantOn, r.newSource(), lagging + " lacks rows 11-20: promoting it would lose them");
            assertTrue(r.errantTransactions().getOrDefault(errantOn, "").contains(errantGtid), r.errantTransactions().toString());
            assertFalse(r.errantTransactions().containsKey(lagging), r.errantTransactions().toString());
            assertTrue(stepResult(r, "find errant transactions").contains(errantGtid), stepResult(r, "find errant transactions"));
            assertTrue(stepResult(r, "choose the candidate").contains("WARNING: promoted with errant transactions"),
                    stepResult(r, "choose the candidate"));
            assertTrue(r.warnings().stream().anyMatch(w -> w.contains(errantGtid) && w.contains("promoted with errant")),
                    r.warnings().toString());
            assertExactlyOneWritable(t, errantOn);
            // The lagging replica follows the new source and receives everything, the errant row too.
            awaitConverged(t, errantOn, List.of(lagging));
            NavigableSet<Long> onLagging = ids(t, lagging);
            for (long id = 1; id <= 20; id++) {
                assertTrue(onLagging.contains(id), "row " + id + " on " + lagging);
            }
            promoted = errantOn;
        }
    }

    @Test
    @Order(2)
    void amongEquallyAdvancedReplicasOneWithoutErrantTransactionsIsPreferredOverPriority(SandboxTopology t) throws Exception {
        assertNotNull(promoted, "runs after the first scenario");
        String source = promoted;
        String clean = lagging;
        String dirty = firstSource;
        t.start(dirty);
        // The replica with the local write has the higher priority: without the errant check it would win.
        try (EngineUnderTest u = new EngineUnderTest(t, source, c -> c.server(dirty).priority = 10)) {
            awaitReadOnly(t, dirty, 10_000);
            FailoverReport rejoin = u.engine.rejoin(dirty, false, "test");
            assertTrue(rejoin.succeeded(), rejoin.describe());
            insertRows(t, source, 21, 30);
            t.awaitReplication(30);
            String errantGtid = localWrite(t, dirty, 900_000_002L);
            u.awaitSeen(source, 10_000);
            t.kill(source);

            List<FailoverReport> reports = u.awaitReports(2, 60_000);
            FailoverReport r = reports.get(1);
            System.out.println("[errant, equally advanced] " + errantGtid + "\n" + r.describe());
            assertEquals(FailoverReport.Kind.FAILOVER, r.kind());
            assertTrue(r.succeeded(), r.describe());
            assertEquals(clean, r.newSource(), "as advanced as " + dirty + " and without errant transactions");
            assertTrue(r.choiceReason().contains("no errant transactions") && r.choiceReason().contains(errantGtid),
                    r.choiceReason());
            assertTrue(r.errantTransactions().getOrDefault(dirty, "").contains(errantGtid), r.errantTransactions().toString());
            assertTrue(r.leftOut().stream().anyMatch(l -> l.startsWith(dirty + ":") && l.contains(errantGtid)),
                    r.leftOut().toString());
            assertTrue(r.warnings().stream().noneMatch(w -> w.contains("promoted with errant")), r.warnings().toString());
            assertExactlyOneWritable(t, clean);
            NavigableSet<Long> onNew = ids(t, clean);
            for (long id = 1; id <= 30; id++) {
                assertTrue(onNew.contains(id), "row " + id + " on the new source " + clean);
            }
            assertFalse(onNew.contains(900_000_002L), "the errant row stays on " + dirty + " only");
        }
    }

    static void insertRows(SandboxTopology t, String server, long from, long to) throws SQLException {
        try (Connection c = t.connectRoot(server); Statement s = c.createStatement()) {
            for (long id = from; id <= to; id++) {
                s.execute("INSERT INTO app.t (id, v) VALUES (" + id + ", 'row')");
            }
        }
    }

    /**
     * A write on a replica itself, binary-logged (sql_log_bin=1, read-only lifted for it): an errant
     * transaction (G26). Returns its GTID as the report names it: MySQL {@code uuid:n}, MariaDB
     * {@code domain-server_id-seq}. The source must be idle meanwhile.
     */
    static String localWrite(SandboxTopology t, String server, long id) throws SQLException {
        Dialect d = t.dialect();
        try (Connection c = t.connectRoot(server); Statement s = c.createStatement()) {
            String before = d.isMariaDb() ? null : Sql.scalar(c, "SELECT @@GLOBAL.gtid_executed");
            for (String sql : d.setReadOnly(false)) {
                s.execute(sql);
            }
            try {
                s.execute("SET SESSION sql_log_bin=1");
                s.execute("INSERT INTO app.t (id, v) VALUES (" + id + ", 'errant')");
            } finally {
                for (String sql : d.setReadOnly(true)) {
                    s.execute(sql);
                }
            }
            if (d.isMariaDb()) {
                return Sql.scalar(c, "SELECT @@GLOBAL.gtid_binlog_pos");
            }
            return GtidSet.parse(Sql.scalar(c, "SELECT @@GLOBAL.gtid_executed")).subtract(GtidSet.parse(before)).toString();
        }
    }
}
