package io.baton.proxy.migration;

import io.baton.proxy.ProxyServer;
import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl.MigrationSummary;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.Sql;
import io.baton.sandbox.TopologyFile;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;

/**
 * The server side of a source change, done by hand as the manual describes (MySQL 8.0, GTID), so
 * that the proxy's part can be tested on its own: the failover engine in admin automates the same.
 */
final class ServerMoves {
    private ServerMoves() {
    }

    static TopologyFile.Server other(SandboxTopology t, TopologyFile.Server s) {
        return t.servers().stream().filter(x -> !x.name().equals(s.name())).findFirst().orElseThrow();
    }

    static Endpoint endpoint(TopologyFile.Server s) {
        return new Endpoint(s.name(), s.host(), s.port());
    }

    /** Planned switchover to the other server, the proxy's gate closed around it. */
    static MigrationSummary switchover(SandboxTopology t, ProxyServer p) throws SQLException {
        TopologyFile.Server from = t.currentSource();
        TopologyFile.Server to = other(t, from);
        p.closeGate("test switchover " + from.name() + " -> " + to.name());
        try {
            p.awaitNoOpenTransactions(Duration.ofSeconds(3));
            String executed;
            try (Connection c = t.connectRoot(from.name())) {
                Sql.exec(c, "SET GLOBAL super_read_only = ON");
                executed = Sql.scalar(c, "SELECT @@GLOBAL.gtid_executed").replace("\n", "");
            }
            promote(t, to, executed);
            follow(t, from, to);
            return p.switchTo(endpoint(to), Duration.ofSeconds(10));
        } finally {
            p.openGate();
        }
    }

    /** The source is gone: promote the other server and route to it. */
    static MigrationSummary failover(SandboxTopology t, ProxyServer p, TopologyFile.Server dead) throws SQLException {
        TopologyFile.Server to = other(t, dead);
        p.closeGate("test failover from " + dead.name());
        try {
            promote(t, to, null);
            return p.switchTo(endpoint(to), Duration.ofSeconds(10));
        } finally {
            p.openGate();
        }
    }

    private static void promote(SandboxTopology t, TopologyFile.Server to, String waitFor) throws SQLException {
        try (Connection c = t.connectRoot(to.name())) {
            if (waitFor != null) {
                String r = Sql.scalar(c, "SELECT WAIT_FOR_EXECUTED_GTID_SET('" + waitFor + "', 10)");
                if (!"0".equals(r)) {
                    throw new SQLException(to.name() + " did not catch up: " + r);
                }
            }
            Sql.exec(c, "STOP REPLICA");
            Sql.exec(c, "RESET REPLICA ALL");
            Sql.exec(c, "SET GLOBAL read_only = OFF");
        }
    }

    /** Makes {@code replica} (read-only) replicate from {@code source} with auto-positioning. */
    static void follow(SandboxTopology t, TopologyFile.Server replica, TopologyFile.Server source) throws SQLException {
        TopologyFile.User repl = t.user("replication");
        try (Connection c = t.connectRoot(replica.name())) {
            Sql.exec(c, "SET GLOBAL super_read_only = ON");
            Sql.exec(c, "STOP REPLICA");
            Sql.exec(c, "CHANGE REPLICATION SOURCE TO SOURCE_HOST='" + source.host() + "', SOURCE_PORT=" + source.port()
                    + ", SOURCE_USER='" + repl.user() + "', SOURCE_PASSWORD='" + repl.password()
                    + "', SOURCE_AUTO_POSITION=1, GET_SOURCE_PUBLIC_KEY=1, SOURCE_CONNECT_RETRY=1");
            Sql.exec(c, "START REPLICA");
        }
    }
}
