package io.baton.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.baton.dialect.Dialect;
import io.baton.dialect.Dialect.ReplicaColumn;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** What every flavor and mode of the sandbox must give: run by one subclass per flavor/mode. */
abstract class TopologyContract {
    abstract Flavor flavor();

    abstract ReplicationMode mode();

    @BeforeEach
    void reset(SandboxTopology t) throws SQLException {
        t.resetData();
    }

    @Test
    void aRowWrittenOnTheSourceAsAppReachesEveryReplica(SandboxTopology t) throws Exception {
        TopologyFile.Server src = t.initialSource();
        try (Connection c = t.connect(src.name(), "app"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE app.t (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(20))");
            s.execute("INSERT INTO app.t (v) VALUES ('hello')");
        }
        t.awaitReplication(5);
        for (TopologyFile.Server s : t.servers()) {
            try (Connection c = t.connect(s.name(), "app"); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT v FROM app.t")) {
                assertTrue(rs.next(), s.name() + " lacks the row");
                assertEquals("hello", rs.getString(1));
            }
        }
    }

    @Test
    void everyReplicaRunsBothThreadsAndIsFencedAgainstWrites(SandboxTopology t) throws Exception {
        Dialect d = t.dialect();
        TopologyFile.Server src = t.initialSource();
        for (TopologyFile.Server s : t.servers()) {
            try (Connection c = t.connectRoot(s.name())) {
                Map<String, String> st = Sql.row(c, d.showReplicaStatus());
                if (s.name().equals(src.name())) {
                    assertTrue(st.isEmpty(), "the source replicates from nobody");
                    assertEquals("0", Sql.scalar(c, "SELECT @@GLOBAL.read_only"));
                    continue;
                }
                assertEquals("Yes", st.get(d.col(ReplicaColumn.IO_RUNNING)), s.name());
                assertEquals("Yes", st.get(d.col(ReplicaColumn.SQL_RUNNING)), s.name());
                assertEquals(String.valueOf(src.port()), st.get(d.col(ReplicaColumn.SOURCE_PORT)));
                assertEquals("1", Sql.scalar(c, "SELECT @@GLOBAL." + d.readOnlyVariable()), s.name() + " is not read-only");
            }
            if (!s.name().equals(src.name())) {
                try (Connection c = t.connect(s.name(), "app"); Statement st = c.createStatement()) {
                    assertThrows(SQLException.class, () -> st.execute("CREATE TABLE app.nope (id INT PRIMARY KEY)"),
                            "a replica must refuse application writes");
                }
            }
        }
    }

    @Test
    void serversAreConfiguredAsTheModeRequires(SandboxTopology t) throws Exception {
        Set<String> serverIds = new HashSet<>();
        for (TopologyFile.Server s : t.servers()) {
            try (Connection c = t.connectRoot(s.name())) {
                assertEquals("1", Sql.scalar(c, "SELECT @@GLOBAL.log_bin"), s.name() + " binary log");
                serverIds.add(Sql.scalar(c, "SELECT @@GLOBAL.server_id"));
                assertEquals(String.valueOf(s.port()), Sql.scalar(c, "SELECT @@GLOBAL.report_port"));
                assertEquals("4000", Sql.scalar(c, "SELECT @@GLOBAL.max_connections"));
                String lru = Sql.scalar(c, "SELECT @@GLOBAL.log_slave_updates");
                assertEquals(mode() == ReplicationMode.GTID ? "1" : "0", lru, s.name() + " log_replica_updates");
                if (!flavor().isMariaDb()) {
                    assertEquals(mode() == ReplicationMode.GTID ? "ON" : "OFF", Sql.scalar(c, "SELECT @@GLOBAL.gtid_mode"));
                }
            }
        }
        assertEquals(t.servers().size(), serverIds.size(), "server_ids must be unique");
    }

    @Test
    void accountsCreateNoErrantTransactions(SandboxTopology t) throws Exception {
        // Every replica's executed set must be contained in the source's: user creation was not logged.
        if (mode() != ReplicationMode.GTID) {
            return;
        }
        TopologyFile.Server src = t.initialSource();
        String sourceSet;
        try (Connection c = t.connectRoot(src.name())) {
            sourceSet = Sql.scalar(c, t.dialect().gtidExecutedQuery()).replace("\n", "");
        }
        for (TopologyFile.Server s : t.servers()) {
            try (Connection c = t.connectRoot(s.name())) {
                String set = Sql.scalar(c, t.dialect().gtidExecutedQuery()).replace("\n", "");
                if (flavor().isMariaDb()) {
                    // domain-server-seq: every GTID must come from the source's server_id (1)
                    for (String g : set.split(",")) {
                        if (!g.isBlank()) {
                            assertEquals("1", g.trim().split("-")[1], s.name() + " has a local GTID " + g);
                        }
                    }
                } else {
                    assertEquals("", Sql.scalar(c, "SELECT GTID_SUBTRACT('" + set + "', '" + sourceSet + "')"),
                            s.name() + " has errant transactions");
                }
            }
        }
    }

    @Test
    void theUsersOfTopologyJsonCanLogIn(SandboxTopology t) throws Exception {
        JsonNode json = TopologyFile.JSON.readTree(t.dir().resolve("topology.json").toFile());
        for (String field : List.of("flavor", "mode", "config", "servers", "users", "proxy", "admin", "metrics")) {
            assertTrue(json.has(field), "topology.json lacks " + field);
        }
        assertEquals(flavor().id(), json.get("flavor").asText());
        assertEquals(mode().id(), json.get("mode").asText());
        assertEquals(6033, json.get("proxy").get("port").asInt());
        assertEquals(6032, json.get("admin").get("port").asInt());
        assertFalse(json.get("admin").get("password").asText().isEmpty());
        assertEquals(9033, json.get("metrics").get("port").asInt());
        for (JsonNode s : json.get("servers")) {
            for (String field : List.of("name", "host", "port", "role", "pid")) {
                assertTrue(s.has(field), "server entry lacks " + field);
            }
            assertTrue(ProcessHandle.of(s.get("pid").asLong()).isPresent(), "pid of " + s.get("name"));
        }
        for (String key : List.of("app", "app_sha2", "monitor", "replication")) {
            TopologyFile.User u = t.user(key);
            assertNotEquals("", u.password());
            if (!key.equals("replication")) {
                try (Connection c = t.connect(t.initialSource().name(), key)) {
                    assertEquals(u.user(), Sql.scalar(c, "SELECT SUBSTRING_INDEX(CURRENT_USER(), '@', 1)"));
                }
            }
        }
        String expectedSha2 = flavor() == Flavor.MYSQL80 ? "caching_sha2_password" : "mysql_native_password";
        try (Connection c = t.connectRoot(t.initialSource().name())) {
            assertEquals(expectedSha2, Sql.scalar(c, "SELECT plugin FROM mysql.user WHERE user='app_sha2'"));
        }
        String config = Files.readString(t.dir().resolve("baton.yml"));
        assertTrue(config.contains("port: 6033") && config.contains(t.user("app").password()), config);
    }

    @Test
    void aKilledReplicaRestartsAndCatchesUp(SandboxTopology t) throws Exception {
        TopologyFile.Server replica = t.servers().get(t.servers().size() - 1);
        long oldPid = t.server(replica.name()).pid();
        t.kill(replica.name());
        assertFalse(Sandbox.status(t.dir()).stream().filter(s -> s.name().equals(replica.name())).findFirst().orElseThrow().running());
        try (Connection c = t.connect(t.initialSource().name(), "app"); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE app.during (id INT PRIMARY KEY)");
            s.execute("INSERT INTO app.during VALUES (1), (2)");
        }
        long newPid = t.start(replica.name());
        assertNotEquals(oldPid, newPid);
        assertEquals(newPid, t.server(replica.name()).pid(), "topology.json holds the new pid");
        t.awaitReplication(30);
        try (Connection c = t.connect(replica.name(), "app"); Statement st = c.createStatement();
             ResultSet rs = st.executeQuery("SELECT COUNT(*) FROM app.during")) {
            rs.next();
            assertEquals(2, rs.getInt(1));
        }
    }

    @Test
    void upRefusesADirectoryThatHoldsARunningTopology(SandboxTopology t) {
        SandboxException e = assertThrows(SandboxException.class,
                () -> Sandbox.up(SandboxOptions.defaults(t.dir()).withFlavor(flavor())));
        assertTrue(e.getMessage().contains("holds a running topology"), e.getMessage());
        assertTrue(Sandbox.status(t.dir()).stream().allMatch(Sandbox.ServerState::running), "nothing was stopped");
    }
}
