package io.baton.admin.cluster;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.NavigableSet;
import java.util.Properties;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A bounded write load through one Baton node as an application meets it: one Connector/J session inserting
 * rows (autocommit) tagged with the server that ran them, going on after errors on the same session and
 * reconnecting only when the session is lost. It records what was acknowledged, what had an unknown outcome
 * (ERR 1317), every error and every reconnect.
 */
final class ClusterWriter implements AutoCloseable {
    final NavigableSet<Long> acked = new ConcurrentSkipListSet<>();
    final NavigableSet<Long> unknown = new ConcurrentSkipListSet<>();
    final List<String> errors = new CopyOnWriteArrayList<>();
    final AtomicLong reconnects = new AtomicLong();
    private final Thread thread;
    private final AtomicLong next;
    private final int port;
    private final String user;
    private final String password;
    private volatile boolean stop;

    ClusterWriter(int port, String user, String password, long firstId) {
        this.port = port;
        this.user = user;
        this.password = password;
        this.next = new AtomicLong(firstId);
        this.thread = new Thread(this::run, "cluster-writer-" + port);
        thread.setDaemon(true);
        thread.start();
    }

    private Connection connect() throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslMode", "DISABLED");
        p.setProperty("connectTimeout", "5000");
        p.setProperty("socketTimeout", "60000");
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + port + "/app", p);
    }

    private void run() {
        Connection c = null;
        // Bounded: at most 200 000 rows or until closed (tests close it within seconds).
        for (int i = 0; i < 200_000 && !stop; i++) {
            try {
                if (c == null || c.isClosed()) {
                    if (c != null) {
                        reconnects.incrementAndGet();
                    }
                    c = connect();
                }
                long id = next.getAndIncrement();
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO app.t (id, v) VALUES (?, CONCAT('srv', @@server_id))")) {
                    ps.setLong(1, id);
                    try {
                        ps.executeUpdate();
                        acked.add(id);
                    } catch (SQLException e) {
                        if (e.getErrorCode() == 1317) {
                            unknown.add(id);
                        }
                        throw e;
                    }
                }
                Thread.sleep(2);
            } catch (SQLException e) {
                errors.add(e.getErrorCode() + " " + e.getMessage());
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    return;
                }
            } catch (InterruptedException e) {
                return;
            }
        }
        try {
            if (c != null) {
                c.close();
            }
        } catch (SQLException e) {
            // closing anyway
        }
    }

    /** Waits (bounded) until at least {@code n} more rows than now are acknowledged. */
    void awaitMore(int n, long timeoutMillis) throws InterruptedException {
        int target = acked.size() + n;
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (acked.size() < target && System.currentTimeMillis() < deadline && thread.isAlive()) {
            Thread.sleep(5);
        }
    }

    @Override
    public void close() throws InterruptedException {
        stop = true;
        thread.join(70_000);
    }
}
