package io.baton.perf.bench;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * An endpoint the workload runs against: the server itself ({@code direct}), Baton, or HAProxy.
 *
 * <p>Clients connect with Connector/J as sysbench would: server-side prepared statements, cached,
 * no TLS, to the {@code sbtest} schema.
 */
public record Target(String name, String host, int port, String user, String password) {

    public static final String DIRECT = "direct";
    public static final String BATON = "baton";
    public static final String HAPROXY = "haproxy";
    /** Baton with durability.mode replica (its own JVM): a commit's OK waits until a replica has it. */
    public static final String BATON_REPLICA = "baton-replica";
    /** Baton with replay.enabled false (its own JVM): what transaction replay costs, against baton with --baton process. */
    public static final String BATON_NO_REPLAY = "baton-noreplay";
    /** Baton with pool.enabled false (its own JVM): one server connection per session, against baton with --baton process. */
    public static final String BATON_NO_POOL = "baton-nopool";

    /** Baton's read-only port over the replicas (its own JVM), reads.consistency eventual. */
    public static final String BATON_READS = "baton-reads";
    /** The same with reads.consistency user: what checking the user's writes costs per read. */
    public static final String BATON_READS_USER = "baton-reads-user";
    /** The read-only port with pool.enabled false: what pooling the read sessions costs, against baton-reads. */
    public static final String BATON_READS_NO_POOL = "baton-reads-nopool";

    public String url() {
        return "jdbc:mysql://" + host + ":" + port + "/sbtest";
    }

    /** A connection as a short-lived request makes it: no server-side prepared statements. */
    public Connection connectPlain() throws SQLException {
        return DriverManager.getConnection(url(), properties());
    }

    /** A connection with server-side prepared statements, cached, as the workloads use them. */
    public Connection connect() throws SQLException {
        Properties p = properties();
        p.setProperty("useServerPrepStmts", "true");
        p.setProperty("cachePrepStmts", "true");
        return DriverManager.getConnection(url(), p);
    }

    private Properties properties() {
        Properties p = new Properties();
        p.setProperty("user", user);
        p.setProperty("password", password);
        p.setProperty("sslMode", "DISABLED");
        p.setProperty("allowPublicKeyRetrieval", "true");
        p.setProperty("connectTimeout", "10000");
        p.setProperty("socketTimeout", "60000");
        return p;
    }

    @Override
    public String toString() {
        return name + " (" + host + ":" + port + ")";
    }
}
