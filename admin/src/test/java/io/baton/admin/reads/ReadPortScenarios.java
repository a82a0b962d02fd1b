package io.baton.admin.reads;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.node.TestNodes;
import io.baton.dialect.Dialect;
import io.baton.proxy.ProxySettings;
import io.baton.proxy.routing.Endpoint;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.TopologyFile;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The read-only port on real servers (docs/reads.md): sessions are served by replicas and cannot write; a replica
 * delayed past reads.maxLag gets no reads and its sessions move, then serves again once it caught up; with no
 * replica within the bound, reads.fallback decides (the source, still read-only, or a clear ERR); a failover
 * under read load costs the read port no error. One subclass per server flavour.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
abstract class ReadPortScenarios {

    static BatonNode start(SandboxTopology t, Consumer<BatonConfig> tune) throws Exception {
        BatonConfig c = TestNodes.config(t);
        assertTrue(c.proxy.readPort > 0, "the sandbox's baton.yml has a read port");
        tune.accept(c);
        c.validate("test");
        return BatonNode.start(c, null, null);
    }

    static Connection reader(BatonNode n, SandboxTopology t) throws SQLException {
        TopologyFile.User u = t.user("app");
        return Sql.connect("127.0.0.1", n.proxy().readPort(), u.user(), u.password(), 5000);
    }

    /**
     * A read session whose driver does not check read-only itself: Connector/J asks the server for
     * transaction_read_only before a write and refuses it client-side (error code 0); this one sends it.
     */
    static Connection rawReader(BatonNode n, SandboxTopology t) throws SQLException {
        TopologyFile.User u = t.user("app");
        java.util.Properties p = new java.util.Properties();
        p.setProperty("user", u.user());
        p.setProperty("password", u.password());
        p.setProperty("sslMode", "DISABLED");
        p.setProperty("allowPublicKeyRetrieval", "true");
        p.setProperty("useLocalSessionState", "true");
        return java.sql.DriverManager.getConnection(Sql.url("127.0.0.1", n.proxy().readPort()), p);
    }

    static Connection writer(BatonNode n, SandboxTopology t) throws SQLException {
        TopologyFile.User u = t.user("app");
        return Sql.connect("127.0.0.1", n.proxy().port(), u.user(), u.password(), 5000);
    }

    static void await(String what, long seconds, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (!done.getAsBoolean()) {
            assertTrue(System.nanoTime() < deadline, what);
            Thread.sleep(20);
        }
    }

    /** Waits until {@code count} replicas serve reads. */
    static void awaitServing(BatonNode n, int count) throws InterruptedException {
        await(count + " replica(s) serve reads", 30, () -> n.proxy().readPool().replicas().stream()
                .filter(r -> n.proxy().readPool().serves(r.endpoint())).count() >= count);
    }

    static String serverName(SandboxTopology t, Connection c) throws SQLException {
        int id = Integer.parseInt(Sql.scalar(c, "SELECT @@server_id"));
        return t.servers().stream().filter(s -> s.serverId() == id).findFirst().orElseThrow().name();
    }

    static int errno(SandboxTopology t, Connection c, String sql) {
        SQLException e = assertThrows(SQLException.class, () -> Sql.exec(c, sql), sql + " fails");
        return e.getErrorCode();
    }

    private static String delay(Dialect d, int seconds) {
        return (d == Dialect.MYSQL80 ? "CHANGE REPLICATION SOURCE TO SOURCE_DELAY=" : "CHANGE MASTER TO MASTER_DELAY=")
                + seconds;
    }

    static void setDelay(SandboxTopology t, String replica, int seconds) throws SQLException {
        Dialect d = t.dialect();
        try (Connection c = t.connectRoot(replica)) {
            // MariaDB changes MASTER_DELAY only with both threads stopped.
            Sql.exec(c, d == Dialect.MARIADB ? d.stopReplica() : d.stopReplicaSqlThread());
            Sql.exec(c, delay(d, seconds));
            Sql.exec(c, d == Dialect.MARIADB ? d.startReplica() : d.startReplicaSqlThread());
        }
    }

    /** BATON SHOW consistency (through execute(): Connector/J's executeQuery takes only statements it knows to read). */
    static String consistency(Connection c) throws SQLException {
        try (java.sql.Statement st = c.createStatement()) {
            assertTrue(st.execute("BATON SHOW consistency"), "a result set");
            try (java.sql.ResultSet rs = st.getResultSet()) {
                assertTrue(rs.next());
                return rs.getString(1);
            }
        }
    }

    /** Writes a row every 20 ms through the read-write port until stopped. */
    static final class Writes implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger rows = new AtomicInteger();
        final Thread thread;

        Writes(BatonNode n, SandboxTopology t) throws SQLException {
            Connection c = writer(n, t);
            Sql.exec(c, "CREATE TABLE IF NOT EXISTS app.w (id INT PRIMARY KEY)");
            thread = new Thread(() -> {
                try (c) {
                    while (!stop.get()) {
                        Sql.exec(c, "INSERT INTO app.w VALUES (" + rows.incrementAndGet() + ")");
                        Thread.sleep(20);
                    }
                } catch (SQLException | InterruptedException e) {
                    // the test's own checks say what went wrong
                }
            }, "test-writes");
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            thread.join(10_000);
        }
    }

    @Test
    @Order(1)
    void readsGoToReplicasAndCannotWrite(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        try (BatonNode n = start(t, c -> { })) {
            awaitServing(n, 2);
            try (Connection w = writer(n, t); Connection r1 = reader(n, t); Connection r2 = reader(n, t)) {
                assertEquals(source, serverName(t, w), "the read-write port goes to the source");
                String a = serverName(t, r1);
                String b = serverName(t, r2);
                assertNotEquals(source, a, "a read session is served by a replica");
                assertNotEquals(source, b, "a read session is served by a replica");
                assertNotEquals(a, b, "two read sessions go to the two replicas (fewest sessions first)");
                Sql.exec(w, "CREATE TABLE app.r (id INT PRIMARY KEY)");
                t.awaitReplication(10);
                try (Connection raw = rawReader(n, t)) {
                    int e = errno(t, raw, "INSERT INTO app.r VALUES (1)");
                    assertTrue(e == 1290 || e == 1792, "a write on the read port fails as on a read-only server: " + e);
                }
                SQLException local = assertThrows(SQLException.class, () -> Sql.exec(r1, "INSERT INTO app.r VALUES (1)"));
                assertTrue(local.getMessage().contains("read-only"), "Connector/J sees the read-only session: " + local);
                assertEquals(1290, errno(t, r1, "SET SESSION transaction_read_only = 0"), "the session cannot be made writable");
                assertEquals(1290, errno(t, r1, "START TRANSACTION READ WRITE"));
                assertEquals(1290, errno(t, r1, "SET @@tx_read_only = OFF"));
                assertEquals("1", Sql.scalar(r1, "SELECT @@session." + (t.dialect() == Dialect.MARIADB ? "tx_read_only"
                        : "transaction_read_only")), "reading the variable is no write");
                assertEquals("eventual", consistency(r1));
                assertEquals(1231, errno(t, r1, "BATON SET consistency = 'strongest'"), "an unknown level is refused");
                assertEquals(1064, errno(t, r1, "BATON FLY"), "Baton's own statements are few");
                Sql.exec(r1, "BATON SET consistency = 'user'");
                assertEquals("user", consistency(r1));
                assertEquals("eventual", consistency(r2), "the level is the session's");
                assertEquals(a, serverName(t, r1), "the session stays on its replica");
                Sql.exec(w, "INSERT INTO app.r VALUES (1)");
                // KILL from the read-write port: thread ids are per server, so nothing is killed on the source.
                long onReplica = r2.unwrap(com.mysql.cj.jdbc.JdbcConnection.class).getId();
                Sql.exec(r2, "BEGIN"); // a transaction keeps its pooled connection on the replica
                assertEquals(1094, errno(t, w, "KILL QUERY " + onReplica), "a query on a replica is not killed there");
                Sql.exec(w, "KILL " + onReplica);
                await("Baton ended the read session", 5, () -> {
                    try {
                        Sql.scalar(r2, "SELECT 1");
                        return false;
                    } catch (SQLException e) {
                        return true;
                    }
                });
                assertEquals("1", Sql.scalar(w, "SELECT 1"), "the killer's session is fine");
            }
            Map<Endpoint, Integer> none = n.proxy().readPool().sessionsPerServer();
            await("read sessions end", 10, () -> n.proxy().readPool().sessionsPerServer().isEmpty());
            assertTrue(none.size() <= 2);
        }
    }

    @Test
    @Order(2)
    void aReplicaPastMaxLagGetsNoReadsUntilItCatchesUp(SandboxTopology t) throws Exception {
        t.resetData();
        try (BatonNode n = start(t, c -> c.reads.maxLag = Duration.ofSeconds(1))) {
            awaitServing(n, 2);
            try (Connection r1 = reader(n, t); Connection r2 = reader(n, t)) {
                String delayed = serverName(t, r1);
                String other = serverName(t, r2);
                assertNotEquals(delayed, other);
                try (Writes writes = new Writes(n, t)) {
                    setDelay(t, delayed, 2);
                    try {
                        await(delayed + " is reported past reads.maxLag", 20,
                                () -> n.lags().lagMillis(delayed) > 1000);
                        Thread.sleep(2500); // the delay is fully in effect: the lag is the delay's
                        long lag = n.lags().lagMillis(delayed);
                        System.out.println("read port: " + delayed + " with SOURCE_DELAY=2 reported at " + lag + " ms, "
                                + other + " at " + n.lags().lagMillis(other) + " ms");
                        // Delayed replication counts in whole seconds of the events' timestamps: 2 s is 1 to 3 s.
                        assertTrue(lag >= 1000 && lag <= 4000, "a 2 s delay is reported at 1000-3000 ms: " + lag);
                        assertTrue(n.lags().lagMillis(other) < 1000, "the other replica is not lagging");
                        assertEquals(other, serverName(t, r1), "the session on the lagging replica moved at its next statement");
                        try (Connection r3 = reader(n, t)) {
                            assertEquals(other, serverName(t, r3), "a new read session avoids the lagging replica");
                        }
                    } finally {
                        setDelay(t, delayed, 0);
                    }
                    await(delayed + " serves again once it caught up", 30, () -> n.proxy().readPool().serves(
                            n.proxy().readPool().replicas().stream().filter(x -> x.endpoint().name().equals(delayed))
                                    .findFirst().orElseThrow().endpoint()));
                    try (Connection r4 = reader(n, t)) {
                        assertEquals(delayed, serverName(t, r4), "a new session goes to the replica with fewest sessions");
                    }
                }
            }
        }
    }

    @Test
    @Order(3)
    void withNoReplicaInBoundTheFallbackDecides(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        List<String> replicas = new ArrayList<>();
        t.servers().stream().filter(s -> !s.name().equals(source)).forEach(s -> replicas.add(s.name()));
        try (BatonNode n = start(t, c -> {
            c.reads.maxLag = Duration.ofMillis(500);
            c.reads.fallback = "error";
        })) {
            awaitServing(n, 2);
            try (Connection r = reader(n, t); Writes writes = new Writes(n, t)) {
                Sql.scalar(r, "SELECT 1");
                for (String s : replicas) {
                    try (Connection c = t.connectRoot(s)) {
                        Sql.exec(c, t.dialect().stopReplicaSqlThread());
                    }
                }
                try {
                    await("no replica within 500 ms", 20, () -> replicas.stream().allMatch(x -> n.lags().lagMillis(x) > 600));
                    SQLException e = assertThrows(SQLException.class, () -> Sql.scalar(r, "SELECT 1"));
                    assertEquals(2003, e.getErrorCode(), e.getMessage());
                    assertTrue(e.getMessage().contains("reads.maxLag"), e.getMessage());
                    SQLException login = assertThrows(SQLException.class, () -> reader(n, t).close());
                    assertTrue(login.getMessage().contains("reads.maxLag"), "a new read session is told why: "
                            + login.getMessage());
                    // reads.fallback source (changed at runtime): the source serves the read, and still refuses writes.
                    n.proxy().updateLimits(n.proxy().settings().withReads(new ProxySettings.Reads(
                            n.proxy().settings().reads().port(), Duration.ofMillis(500), true,
                            ProxySettings.Consistency.EVENTUAL, Duration.ofSeconds(1))));
                    assertEquals(source, serverName(t, r), "the session is usable again, on the source");
                    int before = Integer.parseInt(Sql.scalar(r, "SELECT COUNT(*) FROM app.w"));
                    try (Connection raw = rawReader(n, t)) {
                        assertEquals(source, serverName(t, raw));
                        int err = errno(t, raw, "INSERT INTO app.w VALUES (-1)");
                        assertTrue(err == 1792 || err == 1290, "a write through the read port fails on the source too: " + err);
                    }
                    assertEquals(1290, errno(t, r, "SET SESSION transaction_read_only = OFF"));
                    assertTrue(Integer.parseInt(Sql.scalar(r, "SELECT COUNT(*) FROM app.w")) >= before);
                    assertEquals("0", Sql.scalar(r, "SELECT COUNT(*) FROM app.w WHERE id = -1"), "nothing was written");
                } finally {
                    for (String s : replicas) {
                        try (Connection c = t.connectRoot(s)) {
                            Sql.exec(c, t.dialect().startReplicaSqlThread());
                        }
                    }
                }
                awaitServing(n, 2);
                assertNotEquals(source, serverName(t, r), "back on a replica once one is within the bound");
            }
        }
    }

    /** Write-read pairs per thread in the consistency tests (-Dbaton.test.readPairs; the run: 1250). */
    static final int PAIRS = Integer.getInteger("baton.test.readPairs", 25);
    static final int THREADS = 16;

    /** What the write-read pairs saw. */
    record PairRun(int pairs, int stale, List<String> errors, long millis) {
    }

    /**
     * {@link #THREADS} threads, each writing a row through a pooled read-write connection and reading it back
     * through a pooled read-port connection at {@code level}: two pools of {@link #THREADS} sessions each, any
     * thread taking any session, so a read goes through another session than its write, as in a web application.
     */
    static PairRun pairs(BatonNode n, SandboxTopology t, String table, String level, int firstId) throws Exception {
        java.util.concurrent.BlockingQueue<Connection> writePool = new java.util.concurrent.ArrayBlockingQueue<>(THREADS);
        java.util.concurrent.BlockingQueue<Connection> readPool = new java.util.concurrent.ArrayBlockingQueue<>(THREADS);
        AtomicInteger stale = new AtomicInteger();
        AtomicInteger done = new AtomicInteger();
        List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        try {
            for (int i = 0; i < THREADS; i++) {
                writePool.add(writer(n, t));
                Connection r = reader(n, t);
                Sql.exec(r, "BATON SET consistency = '" + level + "'");
                readPool.add(r);
            }
            long t0 = System.nanoTime();
            List<Thread> threads = new ArrayList<>();
            for (int i = 0; i < THREADS; i++) {
                int thread = i;
                Thread th = new Thread(() -> {
                    for (int k = 0; k < PAIRS; k++) {
                        int id = firstId + thread * PAIRS + k;
                        try {
                            Connection w = writePool.take();
                            try {
                                Sql.exec(w, "INSERT INTO app." + table + " VALUES (" + id + ", " + thread + ")");
                            } finally {
                                writePool.add(w);
                            }
                            Connection r = readPool.take();
                            try {
                                if (Sql.scalar(r, "SELECT v FROM app." + table + " WHERE id = " + id) == null) {
                                    stale.incrementAndGet();
                                }
                            } finally {
                                readPool.add(r);
                            }
                            done.incrementAndGet();
                        } catch (SQLException | InterruptedException e) {
                            errors.add(e.toString());
                            return;
                        }
                    }
                }, "test-pairs-" + i);
                th.start();
                threads.add(th);
            }
            for (Thread th : threads) {
                th.join(TimeUnit.MINUTES.toMillis(20));
                assertTrue(!th.isAlive(), "a pair thread ended");
            }
            long ms = (System.nanoTime() - t0) / 1_000_000;
            PairRun run = new PairRun(done.get(), stale.get(), List.copyOf(errors), ms);
            System.out.println("read port: consistency " + level + ": " + run.pairs() + " write-read pairs by " + THREADS
                    + " threads over pooled sessions in " + ms + " ms, " + run.stale() + " stale read(s)");
            return run;
        } finally {
            for (Connection c : writePool) {
                c.close();
            }
            for (Connection c : readPool) {
                c.close();
            }
        }
    }

    static List<String> replicaNames(SandboxTopology t) throws SQLException {
        String source = t.currentSource().name();
        List<String> out = new ArrayList<>();
        t.servers().stream().filter(s -> !s.name().equals(source)).forEach(s -> out.add(s.name()));
        return out;
    }

    @Test
    @Order(4)
    void userConsistencyReadsEveryAcknowledgedWriteAcrossPooledSessionsAndEventualDoesNot(SandboxTopology t)
            throws Exception {
        t.resetData();
        String slow = replicaNames(t).get(0);
        try (BatonNode n = start(t, c -> c.reads.causalTimeout = Duration.ofMillis(200))) {
            awaitServing(n, 2);
            try (Connection w = writer(n, t)) {
                Sql.exec(w, "CREATE TABLE app.ryw (id INT PRIMARY KEY, v INT NOT NULL)");
            }
            t.awaitReplication(10);
            setDelay(t, slow, 1); // one replica a second behind: within reads.maxLag, so it serves reads
            try {
                PairRun eventual = pairs(n, t, "ryw", "eventual", 0);
                assertEquals(List.of(), eventual.errors());
                assertTrue(eventual.stale() > 0, "eventual: some reads miss the write just acknowledged (else this test"
                        + " could not tell the levels apart)");
                ProxyMetricsView before = ProxyMetricsView.of(n);
                PairRun user = pairs(n, t, "ryw", "user", 1_000_000);
                assertEquals(List.of(), user.errors());
                assertEquals(THREADS * PAIRS, user.pairs());
                assertEquals(0, user.stale(), "user: every read sees the write acknowledged before it");
                ProxyMetricsView after = ProxyMetricsView.of(n);
                System.out.println("read port: user consistency: " + after.minus(before));
                assertTrue(after.reached - before.reached > 0, "reads on the caught-up replica waited and went on there");
                assertTrue(after.timeout - before.timeout > 0, "reads on the lagging replica went to the source");
            } finally {
                setDelay(t, slow, 0);
            }
        }
    }

    /** The causal-read counters of a node. */
    record ProxyMetricsView(long atOnce, long reached, long timeout, long lost) {
        static ProxyMetricsView of(BatonNode n) {
            io.baton.proxy.ProxyMetrics m = n.proxy().metrics();
            return new ProxyMetricsView(m.causalReads("at_once"), m.causalReads("reached"), m.causalReads("timeout"),
                    m.causalReads("lost"));
        }

        String minus(ProxyMetricsView b) {
            return (atOnce - b.atOnce) + " known at once, " + (reached - b.reached) + " waited and reached, "
                    + (timeout - b.timeout) + " sent to the source after reads.causalTimeout, " + (lost - b.lost)
                    + " replica lost";
        }
    }

    @Test
    @Order(5)
    void globalConsistencySeesOtherUsersWritesAndUserOnlyItsOwn(SandboxTopology t) throws Exception {
        t.resetData();
        List<String> replicas = replicaNames(t);
        TopologyFile.User other = t.user("app_sha2");
        try (BatonNode n = start(t, c -> c.reads.causalTimeout = Duration.ofMillis(200))) {
            awaitServing(n, 2);
            try (Connection w = writer(n, t)) {
                Sql.exec(w, "CREATE TABLE app.g (id INT PRIMARY KEY)");
                t.awaitReplication(10);
                for (String r : replicas) {
                    setDelay(t, r, 1);
                }
                try (Connection r = Sql.connect("127.0.0.1", n.proxy().readPort(), other.user(), other.password(), 5000)) {
                    Sql.exec(r, "BATON SET consistency = 'user'");
                    Sql.exec(w, "INSERT INTO app.g VALUES (1)");
                    assertEquals("0", Sql.scalar(r, "SELECT COUNT(*) FROM app.g"),
                            "user: another user's write is not waited for (both replicas are a second behind)");
                    Sql.exec(r, "BATON SET consistency = 'global'");
                    Sql.exec(w, "INSERT INTO app.g VALUES (2)");
                    assertEquals("2", Sql.scalar(r, "SELECT COUNT(*) FROM app.g"), "global: every acknowledged write");
                } finally {
                    for (String r : replicas) {
                        setDelay(t, r, 0);
                    }
                }
            }
        }
    }

    /** Four read sessions reading every 10 ms until closed; the fourth logs in again for every read. */
    static final class ReadLoad implements AutoCloseable {
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicInteger reads = new AtomicInteger();
        final List<String> errors = java.util.Collections.synchronizedList(new ArrayList<>());
        final List<Thread> readers = new ArrayList<>();

        ReadLoad(BatonNode n, SandboxTopology t) {
            for (int i = 0; i < 4; i++) {
                boolean reconnecting = i == 3; // new read sessions arrive in the middle of the failure too
                Thread th = new Thread(() -> {
                    Connection c = null;
                    try {
                        while (!stop.get()) {
                            if (c == null || reconnecting) {
                                if (c != null) {
                                    c.close();
                                }
                                c = reader(n, t);
                            }
                            Sql.scalar(c, "SELECT COUNT(*) FROM information_schema.schemata");
                            reads.incrementAndGet();
                            Thread.sleep(10);
                        }
                    } catch (SQLException | InterruptedException e) {
                        errors.add(e.toString());
                    } finally {
                        try {
                            if (c != null) {
                                c.close();
                            }
                        } catch (SQLException ignored) {
                            // closing
                        }
                    }
                }, "test-reader-" + i);
                th.start();
                readers.add(th);
            }
        }

        void awaitMore(int count) throws InterruptedException {
            int at = reads.get();
            await("reads go on", 10, () -> reads.get() > at + count);
        }

        @Override
        public void close() throws InterruptedException {
            stop.set(true);
            for (Thread th : readers) {
                th.join(15_000);
            }
        }
    }

    /** Every server but the source serves reads. */
    static void awaitEveryReplicaServing(BatonNode n, SandboxTopology t, String why) throws InterruptedException {
        await(why, 60, () -> {
            String source = n.proxy().source().name();
            return n.proxy().readPool().replicas().stream().filter(r -> !r.endpoint().name().equals(source))
                    .allMatch(r -> n.proxy().readPool().serves(r.endpoint()))
                    && n.proxy().readPool().replicas().size() == t.servers().size() - 1;
        });
    }

    @Test
    @Order(6)
    void aSwitchoverUnderMixedLoadCostsTheReadPortNoErrorAndEveryReplicaServesAfter(SandboxTopology t)
            throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        String target = replicaNames(t).get(0);
        try (BatonNode n = start(t, c -> { })) {
            awaitServing(n, 2);
            ReadLoad load = new ReadLoad(n, t);
            try (Writes writes = new Writes(n, t)) {
                load.awaitMore(20);
                io.baton.admin.failover.FailoverReport r = n.engine().switchover(target, "test");
                assertTrue(r.succeeded(), r.describe());
                assertEquals(target, n.proxy().source().name());
                awaitEveryReplicaServing(n, t, "every replica, the old source among them, serves reads after the"
                        + " switchover");
                // A read session on the promoted replica moves at its next statement outside a transaction.
                await("no read session is left on the new source", 10, () -> n.proxy().readPool().sessionsPerServer()
                        .keySet().stream().noneMatch(e -> e.name().equals(target)));
                load.awaitMore(20);
                int before = writes.rows.get();
                await("writes go on", 10, () -> writes.rows.get() > before + 5);
                // Back, under the same load: the next test finds the topology as the sandbox made it.
                io.baton.admin.failover.FailoverReport back = n.engine().switchover(source, "test");
                assertTrue(back.succeeded(), back.describe());
                awaitEveryReplicaServing(n, t, "every replica serves reads after the switchover back");
                load.awaitMore(20);
            } finally {
                load.close();
            }
            assertEquals(List.of(), load.errors, "the read port answered every read through both switchovers");
        }
    }

    @Test
    @Order(7)
    void aReplicaBehindIsReportedAtItsLagInMilliseconds(SandboxTopology t) throws Exception {
        t.resetData();
        String behind = replicaNames(t).get(0);
        try (BatonNode n = start(t, c -> { })) {
            awaitServing(n, 2);
            try (Connection w = writer(n, t)) {
                Sql.exec(w, "CREATE TABLE app.lag (id INT PRIMARY KEY)");
                t.awaitReplication(10);
                List<Long> errors = new ArrayList<>();
                for (int round = 0; round < 5; round++) {
                    try (Connection c = t.connectRoot(behind)) {
                        Sql.exec(c, t.dialect().stopReplicaSqlThread());
                    }
                    try {
                        await(behind + " caught up", 10, () -> n.lags().lagMillis(behind) == 0);
                        Sql.exec(w, "INSERT INTO app.lag VALUES (" + round + ")"); // the write it lacks
                        long written = System.nanoTime();
                        for (long at : new long[] {300, 600, 1000}) {
                            long due = written + TimeUnit.MILLISECONDS.toNanos(at);
                            while (System.nanoTime() < due) {
                                Thread.sleep(1);
                            }
                            long reported = n.lags().lagMillis(behind);
                            long truth = (System.nanoTime() - written) / 1_000_000;
                            errors.add(reported - truth);
                        }
                    } finally {
                        try (Connection c = t.connectRoot(behind)) {
                            Sql.exec(c, t.dialect().startReplicaSqlThread());
                        }
                    }
                }
                long worst = errors.stream().mapToLong(Math::abs).max().orElseThrow();
                double mean = errors.stream().mapToLong(Long::longValue).average().orElseThrow();
                System.out.println("read port: lag reported minus the age of the oldest missing write, 15 readings at"
                        + " 300/600/1000 ms: mean " + Math.round(mean) + " ms, worst " + worst + " ms, all " + errors);
                // The bound is half an interval plus the age of the reading (at most one interval): 75 ms with the
                // default 50 ms; a loaded machine may delay a sampler, so the test allows twice that.
                assertTrue(worst <= 150, "the lag is right to tens of milliseconds: " + errors);
            }
        }
    }

    /** Statements that replicas ran for read sessions and split reads. */
    static long replicaReads(BatonNode n, String source) {
        return n.proxy().readPool().replicas().stream().filter(r -> !r.endpoint().name().equals(source))
                .mapToLong(r -> n.proxy().metrics().reads(r.endpoint().name())).sum();
    }

    /** Runs {@code sql} on {@code c} until a replica has run a split read (the session's reader is up), at most 10 s. */
    static void awaitSplit(BatonNode n, String source, Connection c, String sql, String expected) throws Exception {
        long before = replicaReads(n, source);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (replicaReads(n, source) == before) {
            assertTrue(System.nanoTime() < deadline, "a replica answers " + sql + " within 10 s");
            assertEquals(expected, Sql.scalar(c, sql), sql);
            Thread.sleep(20);
        }
    }

    @Test
    @Order(8)
    void splitReadsOnTheReadWritePortGoToReplicasWithTheSessionsStateAndItsOwnWrites(SandboxTopology t)
            throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        List<String> replicas = replicaNames(t);
        try (BatonNode n = start(t, c -> c.proxy.splitReads = true)) {
            awaitServing(n, 2);
            try (Connection m = writer(n, t)) {
                Sql.exec(m, "CREATE TABLE app.sp (id INT PRIMARY KEY, v VARCHAR(16))");
                Sql.exec(m, "INSERT INTO app.sp VALUES (0, 'zero')");
                awaitSplit(n, source, m, "SELECT COUNT(*) FROM app.sp", "1");

                // What stays on the source, whatever the replicas have.
                long before = replicaReads(n, source);
                long sourceId = t.servers().stream().filter(x -> x.name().equals(source)).findFirst().orElseThrow()
                        .serverId();
                assertEquals(Long.toString(sourceId), Sql.scalar(m, "SELECT @@server_id"), "a system variable: the source");
                Sql.exec(m, "SET @x = 42");
                assertEquals("42", Sql.scalar(m, "SELECT @x"), "a user variable: the source");
                assertEquals("zero", Sql.scalar(m, "SELECT v FROM app.sp WHERE id = 0 FOR UPDATE"));
                Sql.exec(m, "BEGIN");
                assertEquals("1", Sql.scalar(m, "SELECT COUNT(*) FROM app.sp"));
                Sql.exec(m, "COMMIT");
                assertEquals("0", Sql.scalar(m, "SELECT ROW_COUNT()"));
                assertEquals(before, replicaReads(n, source), "none of these went to a replica");

                // The session's state goes with its reads: ANSI_QUOTES makes "sp" an identifier, USE the default schema.
                Sql.exec(m, "SET SESSION sql_mode = 'ANSI_QUOTES'");
                awaitSplit(n, source, m, "SELECT COUNT(*) FROM app.\"sp\"", "1");
                Sql.exec(m, "USE app");
                awaitSplit(n, source, m, "SELECT COUNT(*) FROM \"sp\"", "1");

                // Its own writes: both replicas a second behind, every read right after a write sees it.
                for (String r : replicas) {
                    setDelay(t, r, 1);
                }
                try {
                    int stale = 0;
                    for (int i = 1; i <= 100; i++) {
                        Sql.exec(m, "INSERT INTO sp VALUES (" + i + ", 'w')");
                        if (Sql.scalar(m, "SELECT v FROM sp WHERE id = " + i) == null) {
                            stale++;
                        }
                    }
                    assertEquals(0, stale, "a read on the read-write port sees the session's own writes");
                } finally {
                    for (String r : replicas) {
                        setDelay(t, r, 0);
                    }
                }
                t.awaitReplication(30);
                awaitSplit(n, source, m, "SELECT COUNT(*) FROM sp", "101");
            }
        }
    }

    /**
     * Read sessions are pooled as read-write ones are (docs/pool.md): many idle read sessions hold a few replica
     * connections, each keeps its replica, its schema, session variables and prepared statements from connection to
     * connection.
     */
    @Test
    @Order(9)
    void readSessionsShareAFewReplicaConnectionsAndKeepTheirState(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        int sessions = 40;
        int max = 3;
        try (BatonNode n = start(t, c -> c.pool.maxPerServer = max)) {
            awaitServing(n, 2);
            try (Connection w = writer(n, t)) {
                Sql.exec(w, "CREATE TABLE app.p (id INT PRIMARY KEY)");
                Sql.exec(w, "INSERT INTO app.p VALUES (1), (2), (3)");
            }
            t.awaitReplication(10);
            List<Connection> readers = new ArrayList<>();
            try {
                List<String> homes = new ArrayList<>();
                List<java.sql.PreparedStatement> prepared = new ArrayList<>();
                for (int i = 0; i < sessions; i++) {
                    Connection r = reader(n, t);
                    readers.add(r);
                    if (i % 2 == 0) {
                        r.setCatalog("app");
                    }
                    Sql.exec(r, "SET SESSION group_concat_max_len = " + (1024 + i));
                    java.sql.PreparedStatement ps = r.prepareStatement("SELECT COUNT(*) FROM app.p WHERE id <= ?");
                    prepared.add(ps);
                    homes.add(serverName(t, r));
                }
                assertTrue(homes.stream().noneMatch(source::equals), "read sessions are served by replicas: " + homes);
                assertEquals(2, homes.stream().distinct().count(), "read sessions spread over both replicas: " + homes);
                for (int round = 0; round < 3; round++) {
                    Thread.sleep(50); // every session gives its connection back
                    for (int i = 0; i < sessions; i++) {
                        Connection r = readers.get(i);
                        String who = "read session " + i + " (round " + round + ")";
                        assertEquals(homes.get(i), serverName(t, r), who + " stays on its replica");
                        assertEquals(Integer.toString(1024 + i), Sql.scalar(r, "SELECT @@group_concat_max_len"),
                                who + " keeps its session variable");
                        assertEquals(i % 2 == 0 ? "app" : null, Sql.scalar(r, "SELECT DATABASE()"), who + " keeps its schema");
                        java.sql.PreparedStatement ps = prepared.get(i);
                        ps.setInt(1, 1 + i % 3);
                        try (java.sql.ResultSet rs = ps.executeQuery()) {
                            assertTrue(rs.next());
                            assertEquals(1 + i % 3, rs.getInt(1), who + " runs its prepared statement");
                        }
                    }
                }
                Thread.sleep(200); // the threads of connections Baton closed have left the servers
                TopologyFile.User u = t.user("app");
                for (String replica : replicaNames(t)) {
                    try (Connection root = t.connectRoot(replica)) {
                        int held = Integer.parseInt(Sql.scalar(root,
                                "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '" + u.user() + "'"));
                        System.out.println("read port pool: " + sessions + " read sessions, " + held
                                + " server connection(s) of the user on " + replica + " (pool.maxPerServer " + max + ")");
                        assertTrue(held <= max, replica + " has at most pool.maxPerServer connections of the user: " + held);
                    }
                }
            } finally {
                for (Connection r : readers) {
                    r.close();
                }
            }
        }
    }

    /** Server connections of the test user on the replicas. */
    static int userConnectionsOnReplicas(SandboxTopology t) throws SQLException {
        TopologyFile.User u = t.user("app");
        int n = 0;
        for (String replica : replicaNames(t)) {
            try (Connection root = t.connectRoot(replica)) {
                n += Integer.parseInt(Sql.scalar(root,
                        "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '" + u.user() + "'"));
            }
        }
        return n;
    }

    /**
     * With the pool on, a session's split-reads replica connection closes once idle pool.idleTimeout (docs/pool.md):
     * idle sessions hold no replica connection; a later plain read goes to the source and the next to a replica again.
     */
    @Test
    @Order(10)
    void anIdleSplitReadsConnectionClosesAfterThePoolsIdleTimeout(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        try (BatonNode n = start(t, c -> {
            c.proxy.splitReads = true;
            c.pool.idleTimeout = Duration.ofSeconds(3); // the counts right after a read finish well within it
        })) {
            awaitServing(n, 2);
            try (Connection m = writer(n, t)) {
                Sql.exec(m, "CREATE TABLE app.si (id INT PRIMARY KEY)");
                Sql.exec(m, "INSERT INTO app.si VALUES (1)");
                awaitSplit(n, source, m, "SELECT COUNT(*) FROM app.si", "1");
                assertEquals(1, userConnectionsOnReplicas(t), "the session's split-reads connection");
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                while (userConnectionsOnReplicas(t) > 0 && System.nanoTime() < deadline) {
                    Thread.sleep(100);
                }
                assertEquals(0, userConnectionsOnReplicas(t), "idle pool.idleTimeout (3 s), it is closed");
                awaitSplit(n, source, m, "SELECT COUNT(*) FROM app.si", "1");
                assertEquals(1, userConnectionsOnReplicas(t), "reads split off again, on a new connection");
            }
        }
    }

    @Test
    @Order(11)
    void aFailoverUnderReadLoadCostsTheReadPortNoError(SandboxTopology t) throws Exception {
        t.resetData();
        String source = t.currentSource().name();
        try (BatonNode n = start(t, c -> { })) {
            awaitServing(n, 2);
            ReadLoad load = new ReadLoad(n, t);
            try (Writes writes = new Writes(n, t)) {
                Thread.sleep(500);
                t.kill(source);
                await("Baton failed over", 60, () -> !n.proxy().source().name().equals(source));
                String promoted = n.proxy().source().name();
                await("the replica left serves reads again", 30, () -> n.proxy().readPool().replicas().stream()
                        .anyMatch(r -> !r.endpoint().name().equals(promoted) && n.proxy().readPool().serves(r.endpoint())));
                load.awaitMore(20);
                assertTrue(n.proxy().readPool().sessionsPerServer().keySet().stream()
                        .noneMatch(e -> e.name().equals(source)), "no read session is left on the dead source");
            } finally {
                load.close();
            }
            assertEquals(List.of(), load.errors, "the read port answered every read through the failover");
        }
    }
}
