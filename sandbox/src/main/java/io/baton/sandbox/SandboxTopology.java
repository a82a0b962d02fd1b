package io.baton.sandbox;

import io.baton.dialect.Dialect;
import io.baton.dialect.Dialect.ReplicaColumn;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** A running sandbox topology, as tests, the demo and benchmarks use it. Closing it stops and purges it. */
public final class SandboxTopology implements AutoCloseable {
    private static final Set<String> SYSTEM_SCHEMAS = Set.of("mysql", "sys", "information_schema", "performance_schema");

    private final Path dir;
    private volatile TopologyFile file;
    private final Dialect dialect;

    SandboxTopology(Path dir, TopologyFile file) {
        this.dir = dir;
        this.file = file;
        this.dialect = Dialect.of(file.version());
    }

    /** Opens a handle on a topology that runs already (e.g. one started by {@code ./baton sandbox up}). */
    public static SandboxTopology open(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        return new SandboxTopology(d, TopologyFile.read(d));
    }

    public Path dir() {
        return dir;
    }

    public TopologyFile file() {
        return file;
    }

    public Dialect dialect() {
        return dialect;
    }

    public List<TopologyFile.Server> servers() {
        return file.servers();
    }

    public TopologyFile.Server server(String name) {
        return file.server(name);
    }

    /** The server that was the source when the topology was created. */
    public TopologyFile.Server initialSource() {
        return file.servers().stream().filter(s -> "source".equals(s.role())).findFirst().orElseThrow();
    }

    public TopologyFile.User user(String key) {
        return file.user(key);
    }

    public Connection connect(String serverName, String userKey) throws SQLException {
        TopologyFile.Server s = server(serverName);
        TopologyFile.User u = user(userKey);
        return Sql.connect(s.host(), s.port(), u.user(), u.password(), 5000);
    }

    public Connection connectRoot(String serverName) throws SQLException {
        return connect(serverName, "root");
    }

    /** The running server that is writable and replicates from nobody. */
    public TopologyFile.Server currentSource() throws SQLException {
        for (TopologyFile.Server s : file.servers()) {
            try (Connection c = connectRoot(s.name())) {
                if ("0".equals(Sql.scalar(c, "SELECT @@GLOBAL.read_only")) && Sql.row(c, dialect.showReplicaStatus()).isEmpty()) {
                    return s;
                }
            } catch (SQLException down) {
                // not running: not the source
            }
        }
        throw new SQLException("no writable source in " + dir);
    }

    public long kill(String name) {
        return Sandbox.kill(dir, name);
    }

    /** SIGSTOP: the server keeps its connections and answers nothing until {@link #resume}. */
    public void pause(String name) {
        Sandbox.signal(dir, name, true);
    }

    public void resume(String name) {
        Sandbox.signal(dir, name, false);
    }

    public long start(String name) {
        long pid = Sandbox.start(dir, name, 120);
        file = TopologyFile.read(dir);
        return pid;
    }

    /**
     * Drops every application schema on the current source, recreates the empty {@code app} and
     * {@code sbtest} schemas, and waits until the replicas have applied it.
     */
    public void resetData() throws SQLException {
        TopologyFile.Server src = currentSource();
        try (Connection c = connectRoot(src.name()); Statement st = c.createStatement()) {
            List<String> drop = new ArrayList<>();
            try (ResultSet rs = st.executeQuery("SHOW DATABASES")) {
                while (rs.next()) {
                    String db = rs.getString(1);
                    if (!SYSTEM_SCHEMAS.contains(db.toLowerCase(java.util.Locale.ROOT))) {
                        drop.add(db);
                    }
                }
            }
            for (String db : drop) {
                st.execute("DROP DATABASE `" + db.replace("`", "``") + "`");
            }
            st.execute("CREATE DATABASE app");
            st.execute("CREATE DATABASE sbtest");
        }
        awaitReplication(30);
    }

    /** Waits until every running replica of the current source has executed all it has written. */
    public void awaitReplication(int timeoutSeconds) throws SQLException {
        TopologyFile.Server src = currentSource();
        Map<String, String> pos;
        try (Connection c = connectRoot(src.name())) {
            pos = Sql.row(c, dialect.showBinaryLogStatus());
        }
        for (TopologyFile.Server s : file.servers()) {
            if (s.name().equals(src.name())) {
                continue;
            }
            try (Connection c = connectRoot(s.name())) {
                Map<String, String> st = Sql.row(c, dialect.showReplicaStatus());
                if (st.isEmpty() || !String.valueOf(src.port()).equals(st.get(dialect.col(ReplicaColumn.SOURCE_PORT)))) {
                    continue;
                }
                String r = Sql.scalar(c, dialect.waitForPosition(pos.get("File"), Long.parseLong(pos.get("Position")), timeoutSeconds));
                if (r == null || Long.parseLong(r) < 0) {
                    throw new SQLException(s.name() + " did not catch up with " + src.name() + " within " + timeoutSeconds + " s");
                }
            } catch (SQLException e) {
                if (e.getMessage() != null && e.getMessage().contains("did not catch up")) {
                    throw e;
                }
                // a server that is down has nothing to wait for
            }
        }
    }

    @Override
    public void close() {
        Sandbox.down(dir, true);
    }
}
