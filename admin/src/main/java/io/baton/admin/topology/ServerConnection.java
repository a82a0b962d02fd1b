package io.baton.admin.topology;

import io.baton.admin.config.BatonConfig;
import io.baton.dialect.Dialect;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * An operator's JDBC connection (mysql-connector-j) to one server, with the server's dialect. The
 * monitor keeps one per server; procedures open their own, with longer socket timeouts.
 */
public final class ServerConnection implements AutoCloseable {
    private final String name;
    private final String host;
    private final int port;
    private final Connection connection;
    private final Dialect dialect;
    private final String version;

    private ServerConnection(BatonConfig.Server server, Connection connection, String version) {
        this.name = server.name;
        this.host = server.host;
        this.port = server.port;
        this.connection = connection;
        this.version = version;
        this.dialect = Dialect.of(version);
    }

    /**
     * Connects as the monitor user. {@code socketTimeout} bounds every statement's wait for an
     * answer; a slower answer counts as a failure.
     */
    public static ServerConnection open(BatonConfig config, BatonConfig.Server server, Duration connectTimeout,
                                        Duration socketTimeout) throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", config.monitor.user);
        p.setProperty("password", config.monitor.password == null ? "" : config.monitor.password);
        p.setProperty("connectTimeout", Long.toString(Math.max(1, connectTimeout.toMillis())));
        p.setProperty("socketTimeout", Long.toString(Math.max(1, socketTimeout.toMillis())));
        p.setProperty("sslMode", config.tls.backend ? "PREFERRED" : "DISABLED");
        p.setProperty("allowPublicKeyRetrieval", "true");
        p.setProperty("connectionAttributes", "program_name:baton-admin");
        p.setProperty("tcpKeepAlive", "true");
        Connection c = DriverManager.getConnection("jdbc:mysql://" + server.host + ":" + server.port + "/", p);
        try {
            String version;
            try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT VERSION()")) {
                rs.next();
                version = rs.getString(1);
            }
            return new ServerConnection(server, c, version);
        } catch (SQLException | RuntimeException e) {
            c.close();
            throw e;
        }
    }

    public String name() {
        return name;
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public Dialect dialect() {
        return dialect;
    }

    public String version() {
        return version;
    }

    public boolean isOpen() {
        try {
            return !connection.isClosed();
        } catch (SQLException e) {
            return false;
        }
    }

    public void exec(String sql) throws SQLException {
        try (Statement s = connection.createStatement()) {
            s.execute(sql);
        }
    }

    public void execAll(List<String> statements) throws SQLException {
        for (String sql : statements) {
            exec(sql);
        }
    }

    public String scalar(String sql) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** The first row as column label to value, or an empty map. */
    public Map<String, String> row(String sql) throws SQLException {
        List<Map<String, String>> rows = rows(sql, 1);
        return rows.isEmpty() ? Map.of() : rows.get(0);
    }

    public List<Map<String, String>> rows(String sql, int max) throws SQLException {
        List<Map<String, String>> out = new ArrayList<>();
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            ResultSetMetaData md = rs.getMetaData();
            while (out.size() < max && rs.next()) {
                Map<String, String> row = new LinkedHashMap<>();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    row.put(md.getColumnLabel(i), rs.getString(i));
                }
                out.add(row);
            }
        }
        return out;
    }

    /** {@code SHOW REPLICA STATUS} of the default channel, or null when it replicates from nobody. */
    public ReplicaStatus replicaStatus() throws SQLException {
        return ReplicaStatus.of(dialect, row(dialect.showReplicaStatus()));
    }

    /** Makes the server read-only ({@code super_read_only}; {@code read_only} on MariaDB) or writable. */
    public void setReadOnly(boolean on) throws SQLException {
        execAll(dialect.setReadOnly(on));
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException ignored) {
            // closing a broken connection: nothing to do
        }
    }
}
