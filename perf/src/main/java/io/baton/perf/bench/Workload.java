package io.baton.perf.bench;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.ThreadLocalRandom;

/**
 * What one client thread does, event after event, on its own Connector/J connection with server-side
 * prepared statements. An event is what a latency sample measures: one statement for point-select
 * and insert, one whole transaction for read-write (as sysbench counts events).
 */
public enum Workload {
    /** {@code SELECT c FROM sbtest1 WHERE id=?}, a random id: sysbench oltp_point_select. */
    POINT_SELECT("point-select", 1) {
        @Override
        Client open(Connection c, int tableSize) throws SQLException {
            PreparedStatement select = c.prepareStatement("SELECT c FROM sbtest1 WHERE id=?");
            return rnd -> {
                select.setInt(1, 1 + rnd.nextInt(tableSize));
                readAll(select);
            };
        }
    },
    /**
     * The same point select, named for the read-port runs ({@code --read-port}): every statement only reads, so it
     * can go through Baton's read-only port.
     */
    READ_ONLY("read-only", 1) {
        @Override
        Client open(Connection c, int tableSize) throws SQLException {
            return POINT_SELECT.open(c, tableSize);
        }
    },
    /**
     * oltp_read_write scaled down: BEGIN, 10 point selects, an UPDATE of k, a DELETE and the INSERT of
     * the same id, COMMIT — 15 statements.
     */
    READ_WRITE("read-write", 15) {
        @Override
        Client open(Connection c, int tableSize) throws SQLException {
            PreparedStatement select = c.prepareStatement("SELECT c FROM sbtest1 WHERE id=?");
            PreparedStatement update = c.prepareStatement("UPDATE sbtest1 SET k=k+1 WHERE id=?");
            PreparedStatement delete = c.prepareStatement("DELETE FROM sbtest1 WHERE id=?");
            PreparedStatement insert = c.prepareStatement("INSERT INTO sbtest1 (id, k, c, pad) VALUES (?, ?, ?, ?)");
            Statement text = c.createStatement();
            return rnd -> {
                text.execute("BEGIN");
                try {
                    for (int i = 0; i < 10; i++) {
                        select.setInt(1, 1 + rnd.nextInt(tableSize));
                        readAll(select);
                    }
                    update.setInt(1, 1 + rnd.nextInt(tableSize));
                    update.executeUpdate();
                    int id = 1 + rnd.nextInt(tableSize);
                    delete.setInt(1, id);
                    delete.executeUpdate();
                    insert.setInt(1, id);
                    insert.setInt(2, rnd.nextInt(tableSize));
                    insert.setString(3, SbtestTable.c(rnd));
                    insert.setString(4, SbtestTable.pad(rnd));
                    insert.executeUpdate();
                    text.execute("COMMIT");
                } catch (SQLException e) {
                    try {
                        text.execute("ROLLBACK");
                    } catch (SQLException ignored) {
                        // the connection is gone; the caller reconnects
                    }
                    throw e;
                }
            };
        }
    },
    /**
     * A new connection per event, as an application that connects per request: connect, one point select (text
     * protocol), close. The thread's own connection only stays open for the harness.
     */
    CONNECT("connect", 1) {
        @Override
        Client open(Connection c, int tableSize) {
            throw new UnsupportedOperationException("connect needs its target");
        }

        @Override
        Client open(Connection c, int tableSize, Target target) {
            return rnd -> {
                try (Connection fresh = target.connectPlain(); Statement st = fresh.createStatement();
                     ResultSet rs = st.executeQuery("SELECT c FROM sbtest1 WHERE id=" + (1 + rnd.nextInt(tableSize)))) {
                    while (rs.next()) {
                        rs.getString(1);
                    }
                }
            };
        }
    },
    /** Single-row autocommit INSERTs (auto-increment ids): sysbench oltp_insert. */
    INSERT("insert", 1) {
        @Override
        Client open(Connection c, int tableSize) throws SQLException {
            PreparedStatement insert = c.prepareStatement("INSERT INTO sbtest1 (k, c, pad) VALUES (?, ?, ?)");
            return rnd -> {
                insert.setInt(1, rnd.nextInt(tableSize));
                insert.setString(2, SbtestTable.c(rnd));
                insert.setString(3, SbtestTable.pad(rnd));
                insert.executeUpdate();
            };
        }
    };

    private final String id;
    private final int statementsPerEvent;

    Workload(String id, int statementsPerEvent) {
        this.id = id;
        this.statementsPerEvent = statementsPerEvent;
    }

    public String id() {
        return id;
    }

    /** Statements sent per event (for queries/s and per-query latency). */
    public int statementsPerEvent() {
        return statementsPerEvent;
    }

    /** Whether the workload writes (what the replicas then have to apply). */
    public boolean writes() {
        return this == READ_WRITE || this == INSERT;
    }

    /** Prepares this workload's statements on {@code c} (autocommit on). */
    abstract Client open(Connection c, int tableSize) throws SQLException;

    /** As {@link #open(Connection, int)}; a workload that opens connections of its own uses {@code target}. */
    Client open(Connection c, int tableSize, Target target) throws SQLException {
        return open(c, tableSize);
    }

    public static Workload of(String id) {
        for (Workload w : values()) {
            if (w.id.equals(id)) {
                return w;
            }
        }
        throw new IllegalArgumentException("unknown workload '" + id + "': point-select, read-only, read-write, insert or connect");
    }

    /** One event on a client's connection. */
    interface Client {
        void event(ThreadLocalRandom rnd) throws SQLException;
    }

    private static void readAll(PreparedStatement select) throws SQLException {
        try (ResultSet rs = select.executeQuery()) {
            while (rs.next()) {
                rs.getString(1);
            }
        }
    }
}
