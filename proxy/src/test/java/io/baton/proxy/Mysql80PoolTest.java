package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.mysql.cj.jdbc.JdbcConnection;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

@WithSandbox(replicas = 0, flavor = "mysql80")
class Mysql80PoolTest extends PoolScenarios {

    /**
     * A session that prepares statements and never closes them is refused the one past a server's default
     * max_prepared_stmt_count (ERR 1461), as a server would refuse it, and goes on; closing one makes room. Baton keeps
     * every statement's text for the session (the pool's connections keep 128 each at most), so without the bound a
     * leaking client would grow Baton's memory without end.
     */
    @Test
    void aSessionsPreparedStatementsAreBounded() throws Exception {
        TopologyFile.User u = topology.user("app");
        try (RawClient c = new RawClient(baton.port())) {
            byte[] ok = c.login(u.user(), u.password(), "app");
            assertEquals(0, ok[0] & 0xFF, "login: errno " + RawClient.errno(ok));
            byte[] sql = "DO 1".getBytes(StandardCharsets.US_ASCII);
            byte[] prepare = new byte[1 + sql.length];
            prepare[0] = 0x16; // COM_STMT_PREPARE
            System.arraycopy(sql, 0, prepare, 1, sql.length);
            int max = SessionState.MAX_STATEMENTS;
            int lastId = 0;
            for (int done = 0; done < max; ) {
                int batch = Math.min(500, max - done);
                for (int i = 0; i < batch; i++) {
                    c.writePacket(0, prepare);
                }
                for (int i = 0; i < batch; i++) {
                    byte[] answer = c.readPacket(); // PREPARE_OK: 0x00, statement_id<4>, ... (no params, no columns)
                    assertEquals(0, answer[0] & 0xFF, "prepare " + (done + i) + ": errno " + RawClient.errno(answer));
                    lastId = java.nio.ByteBuffer.wrap(answer, 1, 4).order(java.nio.ByteOrder.LITTLE_ENDIAN).getInt();
                }
                done += batch;
            }
            c.writePacket(0, prepare);
            byte[] refused = c.readPacket();
            assertEquals(1461, RawClient.errno(refused), "one past max_prepared_stmt_count");
            byte[] close = java.nio.ByteBuffer.allocate(5).order(java.nio.ByteOrder.LITTLE_ENDIAN).put((byte) 0x19)
                    .putInt(lastId).array(); // COM_STMT_CLOSE: no answer
            c.writePacket(0, close);
            c.writePacket(0, prepare);
            byte[] again = c.readPacket();
            assertEquals(0, again[0] & 0xFF, "after a close there is room: errno " + RawClient.errno(again));
        }
    }

    /**
     * 2,000 client sessions, 16 of them active in four different session states: never more than maxPerServer server
     * connections (counted by Baton and by the server), and every answer is the session's own.
     */
    @Test
    void twoThousandSessionsSixteenActiveOnAtMostMaxPerServerConnections() throws Exception {
        int max = pool().maxPerServer();
        TopologyFile.User u = topology.user("app");
        List<RawClient> idle = new ArrayList<>();
        AtomicInteger peak = new AtomicInteger();
        AtomicInteger serverPeak = new AtomicInteger();
        AtomicInteger transients = new AtomicInteger();
        AtomicBoolean sampling = new AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            try (Connection root = topology.connectRoot(topology.initialSource().name()); Statement r = root.createStatement()) {
                String count = "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER = '" + u.user() + "'";
                while (sampling.get()) {
                    peak.accumulateAndGet(baton.proxy().poolOpen().getOrDefault(source, 0), Math::max);
                    int n = (int) scalar(r, count);
                    // A connection Baton closed is gone when the server closes its socket, but the server lists its
                    // thread until the thread has ended, a moment later: an excess counts if it outlasts that.
                    for (int look = 0; n > max && look < 10; look++) {
                        transients.incrementAndGet();
                        Thread.sleep(20);
                        n = (int) scalar(r, count);
                    }
                    serverPeak.accumulateAndGet(n, Math::max);
                    Thread.sleep(20);
                }
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        });
        sampler.start();
        ExecutorService pool = Executors.newFixedThreadPool(16);
        try {
            for (int i = 0; i < 2000; i++) {
                RawClient c = new RawClient(baton.port());
                idle.add(c);
                byte[] ok = c.login(u.user(), u.password(), "app");
                assertEquals(0, ok[0] & 0xFF, "login " + i + ": errno " + RawClient.errno(ok));
            }
            try (Connection c = connect(""); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS pool_load (id INT AUTO_INCREMENT PRIMARY KEY, t INT, v INT)");
            }
            List<Future<Integer>> active = new ArrayList<>();
            for (int t = 0; t < 16; t++) {
                int me = t;
                active.add(pool.submit(() -> {
                    int checks = 0;
                    try (Connection c = connect(""); Statement s = c.createStatement()) {
                        long id = ((JdbcConnection) c).getId();
                        int len = 1024 + me % 4; // four different session states among the sixteen
                        s.execute("SET SESSION group_concat_max_len = " + len);
                        for (int round = 0; round < 40; round++) {
                            s.executeUpdate("INSERT INTO pool_load (t, v) VALUES (" + me + ", " + round + ")",
                                    Statement.RETURN_GENERATED_KEYS);
                            long key;
                            try (ResultSet k = s.getGeneratedKeys()) {
                                k.next();
                                key = k.getLong(1);
                            }
                            Thread.sleep(ThreadLocalRandom.current().nextInt(8));
                            try (ResultSet rs = s.executeQuery("SELECT LAST_INSERT_ID(), @@group_concat_max_len,"
                                    + " CONNECTION_ID(), DATABASE()")) {
                                rs.next();
                                assertEquals(key, rs.getLong(1), "LAST_INSERT_ID() of session " + me);
                                assertEquals(len, rs.getInt(2), "group_concat_max_len of session " + me);
                                assertEquals(id, rs.getLong(3), "CONNECTION_ID() of session " + me);
                                assertEquals("app", rs.getString(4));
                            }
                            int updated = s.executeUpdate("UPDATE pool_load SET v = v + 1 WHERE t = " + me);
                            Thread.sleep(ThreadLocalRandom.current().nextInt(8));
                            try (ResultSet rs = s.executeQuery("SELECT ROW_COUNT()")) {
                                rs.next();
                                assertEquals(updated, rs.getInt(1), "ROW_COUNT() of session " + me);
                            }
                            checks += 4;
                        }
                    }
                    return checks;
                }));
            }
            // Meanwhile some of the idle sessions wake up for one statement each.
            for (int i = 0; i < idle.size(); i += 50) {
                RawClient c = idle.get(i);
                byte[] sql = "DO 1".getBytes(StandardCharsets.US_ASCII);
                byte[] payload = new byte[1 + sql.length];
                payload[0] = 0x03;
                System.arraycopy(sql, 0, payload, 1, sql.length);
                c.writePacket(0, payload);
                byte[] answer = c.readPacket();
                assertEquals(0, answer[0] & 0xFF, "idle session " + i + ": errno " + RawClient.errno(answer));
            }
            int checks = 0;
            for (Future<Integer> f : active) {
                checks += f.get(120, TimeUnit.SECONDS);
            }
            assertEquals(16 * 40 * 4, checks);
            assertTrue(peak.get() <= max, "Baton's pool never had more than " + max + " connections: " + peak.get());
            assertTrue(serverPeak.get() <= max, "the server never saw more than " + max
                    + " threads of the user for longer than 200 ms: " + serverPeak.get());
            System.out.println("pool: peak " + peak.get() + " connections by Baton's count, " + serverPeak.get()
                    + " threads of the user by the server's (" + transients.get() + " samples over it while threads ended)");
            Thread.sleep(pool().idleTimeout().toMillis() * 2 + 300);
            assertTrue(baton.proxy().poolOpen().getOrDefault(source, 0) <= 1,
                    "2,000 idle sessions: the idle connections closed after pool.idleTimeout, "
                            + baton.proxy().poolOpen().getOrDefault(source, 0) + " open");
            assertEquals(2000 + 0, baton.proxy().sessions().open(), "and every session is still there");
        } finally {
            sampling.set(false);
            sampler.join(5000);
            pool.shutdownNow();
            for (RawClient c : idle) {
                c.close();
            }
        }
    }
}
