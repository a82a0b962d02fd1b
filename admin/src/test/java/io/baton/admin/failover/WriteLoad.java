package io.baton.admin.failover;

import io.baton.sandbox.Sql;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.NavigableSet;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded write load: one thread inserting rows through JDBC straight into one server (autocommit),
 * recording the ids the server acknowledged. It stops at the first error (the source died or became
 * read-only), at {@code maxRows}, or when closed.
 */
final class WriteLoad implements AutoCloseable {
    final NavigableSet<Long> acked = new ConcurrentSkipListSet<>();
    private final Thread thread;
    private final AtomicLong next;
    private final long maxRows;
    private volatile boolean stop;
    volatile String error;

    WriteLoad(String host, int port, String user, String password, long firstId, long maxRows) {
        this.next = new AtomicLong(firstId);
        this.maxRows = maxRows;
        this.thread = new Thread(() -> run(host, port, user, password), "write-load");
        thread.setDaemon(true);
        thread.start();
    }

    private void run(String host, int port, String user, String password) {
        try (Connection c = Sql.connect(host, port, user, password, 1000);
             PreparedStatement ps = c.prepareStatement("INSERT INTO app.t (id, v) VALUES (?, 'load')")) {
            for (long i = 0; i < maxRows && !stop; i++) {
                long id = next.getAndIncrement();
                ps.setLong(1, id);
                ps.executeUpdate();
                acked.add(id);
            }
        } catch (SQLException e) {
            error = e.getMessage();
        }
    }

    /** Waits until at least n rows were acknowledged (bounded). */
    void awaitAcked(int n, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (acked.size() < n && thread.isAlive() && System.currentTimeMillis() < deadline) {
            Thread.sleep(5);
        }
    }

    boolean running() {
        return thread.isAlive();
    }

    void join(long millis) throws InterruptedException {
        thread.join(millis);
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(10_000);
    }
}
