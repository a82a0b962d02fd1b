package io.baton.sandbox;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

/** Small JDBC helpers for administering sandbox servers (Connector/J, plain TCP on loopback). */
public final class Sql {
    private Sql() {
    }

    public static String url(String host, int port) {
        return "jdbc:mysql://" + host + ":" + port + "/";
    }

    public static Connection connect(String host, int port, String user, String password, int connectTimeoutMillis)
            throws SQLException {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslMode", "DISABLED");
        p.setProperty("allowPublicKeyRetrieval", "true");
        p.setProperty("connectTimeout", Integer.toString(connectTimeoutMillis));
        p.setProperty("socketTimeout", "120000");
        p.setProperty("useSSL", "false");
        return DriverManager.getConnection(url(host, port), p);
    }

    public static void exec(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    public static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    /** The first row of a query as column label -> value, or an empty map. */
    public static Map<String, String> row(Connection c, String sql) throws SQLException {
        Map<String, String> out = new LinkedHashMap<>();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            if (rs.next()) {
                ResultSetMetaData md = rs.getMetaData();
                for (int i = 1; i <= md.getColumnCount(); i++) {
                    out.put(md.getColumnLabel(i), rs.getString(i));
                }
            }
        }
        return out;
    }
}
