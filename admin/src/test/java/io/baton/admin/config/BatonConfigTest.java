package io.baton.admin.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.sandbox.ProxyConfigFile;
import io.baton.sandbox.TopologyFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BatonConfigTest {

    @Test
    void readsTheConfigTheSandboxWrites(@TempDir Path dir) throws Exception {
        Map<String, TopologyFile.User> users = new LinkedHashMap<>();
        users.put("app", new TopologyFile.User("app", "pw1", "mysql_native_password"));
        users.put("app_sha2", new TopologyFile.User("app_sha2", "pw2", "caching_sha2_password"));
        users.put("monitor", new TopologyFile.User("baton", "pw3", "mysql_native_password"));
        users.put("replication", new TopologyFile.User("repl", "pw4", "mysql_native_password"));
        TopologyFile t = new TopologyFile("mysql80", "gtid", "8.0.31", dir.resolve("baton.yml").toString(),
                List.of(new TopologyFile.Server("db1", "127.0.0.1", 33100, "source", 1, 1),
                        new TopologyFile.Server("db2", "127.0.0.1", 33101, "replica", 2, 2)),
                users, new TopologyFile.ProxyPort(6033), new TopologyFile.Admin(6032, "adminpw"), new TopologyFile.Port(9033));
        Path f = dir.resolve("baton.yml");
        Files.writeString(f, ProxyConfigFile.render(dir, t));

        BatonConfig c = BatonConfig.load(f);
        assertEquals(6033, c.proxy.port);
        assertEquals("adminpw", c.admin.password);
        assertEquals(9033, c.metrics.port);
        assertEquals(2, c.servers.size());
        assertEquals("source", c.servers.get(0).role);
        assertEquals(33101, c.server("db2").port);
        assertEquals("baton", c.monitor.user);
        assertEquals("pw3", c.monitor.password);
        assertEquals("repl", c.replication.user);
        assertEquals("gtid", c.replication.mode);
        assertEquals(List.of("app", "app_sha2"), c.users.stream().map(u -> u.user).toList());
        assertEquals(Duration.ofMillis(500), c.monitor.interval, "default monitor.interval");
        assertEquals(Duration.ofSeconds(10), c.gate.maxWait, "default gate.maxWait");
        assertTrue(c.failover.auto);
        assertEquals(120, c.failover.blockSeconds);
    }

    @Test
    void durationsAndErrorsSpeakTheOperatorsLanguage(@TempDir Path dir) throws Exception {
        assertEquals(Duration.ofMillis(250), DurationText.parse("250ms"));
        assertEquals(Duration.ofMinutes(2), DurationText.parse("2m"));
        assertEquals(Duration.ofSeconds(10), DurationText.parse("PT10S"));
        assertEquals("10s", DurationText.format(Duration.ofSeconds(10)));

        Path f = dir.resolve("bad.yml");
        Files.writeString(f, "servers:\n  - name: db1\n    port: 3306\nusers:\n  - user: app\n    password: x\nmonitor:\n  intervall: 1s\n");
        ConfigException e = assertThrows(ConfigException.class, () -> BatonConfig.load(f));
        assertTrue(e.getMessage().contains("unknown key 'intervall' at monitor.intervall"), e.getMessage());

        Files.writeString(f, "servers:\n  - name: db1\n    port: 3306\nusers:\n  - user: app\n    password: x\ngate:\n  maxWait: soon\n");
        e = assertThrows(ConfigException.class, () -> BatonConfig.load(f));
        assertTrue(e.getMessage().contains("gate.maxWait") && e.getMessage().contains("500ms"), e.getMessage());

        Files.writeString(f, "servers:\n  - name: db1\n    port: 3306\nusers:\n  - user: app\n    password: x\npool:\n"
                + "  loginReuse: 2h\n");
        e = assertThrows(ConfigException.class, () -> BatonConfig.load(f));
        assertTrue(e.getMessage().contains("pool.loginReuse must be between 0ms"), e.getMessage());

        Files.writeString(f, "servers:\n  - name: db1\n    port: 3306\nusers:\n  - user: app\n    password: x\npool:\n"
                + "  maxIdle: -1\n  idleTrim: 10ms\n");
        e = assertThrows(ConfigException.class, () -> BatonConfig.load(f));
        assertTrue(e.getMessage().contains("pool.maxIdle must be between 0 and 100000 connections, not -1"), e.getMessage());
        assertTrue(e.getMessage().contains("pool.idleTrim must be between 100ms and 1h"), e.getMessage());

        Files.writeString(f, "servers:\n  - name: db1\nusers:\n  - user: app\n    passwordHash: '*12'\n  - user: b\n"
                + "    password: x\n    passwordHash: '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9'\n  - user: c\n");
        e = assertThrows(ConfigException.class, () -> BatonConfig.load(f));
        assertTrue(e.getMessage().contains("users[0].passwordHash: not a mysql_native_password hash"), e.getMessage());
        assertTrue(e.getMessage().contains("users[1]: give password or passwordHash, not both"), e.getMessage());
        assertTrue(e.getMessage().contains("users[2].password (or passwordHash) is missing"), e.getMessage());
        Files.writeString(f, "servers:\n  - name: db1\nusers:\n  - user: app\n"
                + "    passwordHash: '*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9'\n");
        assertEquals("*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9", BatonConfig.load(f).users.get(0).passwordHash);

        Files.writeString(f, "servers:\n  - name: db1\nusers:\n  - user: app\n    password: x\nlimits:\n  ioThreads: -1\n");
        e = assertThrows(ConfigException.class, () -> BatonConfig.load(f));
        assertTrue(e.getMessage().contains("limits.ioThreads must be 0 (half the cores) or between 1 and 256, not -1"),
                e.getMessage());
        Files.writeString(f, "servers:\n  - name: db1\nusers:\n  - user: app\n    password: x\nlimits:\n  ioThreads: 3\n");
        assertEquals(3, BatonConfig.load(f).limits.ioThreads);

        Files.writeString(f, "servers: []\nusers: []\n");
        e = assertThrows(ConfigException.class, () -> BatonConfig.load(f));
        assertTrue(e.getMessage().contains("at least one server") && e.getMessage().contains("at least one user"), e.getMessage());
    }

    private static String clusterConfig(String cluster) {
        return "servers:\n  - name: db1\n    port: 3306\nusers:\n  - user: app\n    password: x\ncluster:\n" + cluster;
    }

    private static String clusterError(Path dir, String cluster) throws Exception {
        Path f = dir.resolve("cluster.yml");
        Files.writeString(f, clusterConfig(cluster));
        return assertThrows(ConfigException.class, () -> BatonConfig.load(f)).getMessage();
    }

    @Test
    void aClusterSectionIsReadWithItsDefaults(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("cluster.yml");
        Files.writeString(f, clusterConfig("  zookeeper: 127.0.0.1:2181,127.0.0.1:2182/apps\n  name: shop\n"));
        BatonConfig c = BatonConfig.load(f);
        assertEquals("shop", c.cluster.name);
        assertEquals(Duration.ofSeconds(4), c.cluster.sessionTimeout);
        assertEquals(Duration.ofSeconds(2), c.cluster.lease(), "half the session timeout");
        assertEquals(Duration.ofSeconds(8), c.cluster.barrier(), "twice the session timeout");
        assertEquals(null, c.cluster.nodeId, "default: the proxy's host:port, decided at start");

        Path alone = dir.resolve("alone.yml");
        Files.writeString(alone, "servers:\n  - name: db1\n    port: 3306\nusers:\n  - user: app\n    password: x\n");
        assertEquals(null, BatonConfig.load(alone).cluster, "without cluster: Baton runs alone");
    }

    private static final String TWO_SERVERS = "servers:\n  - name: db1\n    port: 3306\n  - name: db2\n    port: 3307\n"
            + "users:\n  - user: app\n    password: x\n";

    private static String durabilityError(Path dir, String extra) throws Exception {
        Path f = dir.resolve("durability.yml");
        Files.writeString(f, TWO_SERVERS + extra);
        return assertThrows(ConfigException.class, () -> BatonConfig.load(f)).getMessage();
    }

    @Test
    void durabilityIsAsyncByDefaultAndReplicaModeIsRead(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("d.yml");
        Files.writeString(f, TWO_SERVERS);
        BatonConfig c = BatonConfig.load(f);
        assertEquals("async", c.durability.mode);
        assertFalse(c.durability.replicaMode());
        Files.writeString(f, TWO_SERVERS + "durability:\n  mode: replica\n  timeout: 250ms\n  onTimeout: async\n");
        c = BatonConfig.load(f);
        assertTrue(c.durability.replicaMode());
        assertEquals(1, c.durability.replicas);
        assertEquals(Duration.ofMillis(250), c.durability.timeout);
        assertEquals("async", c.durability.onTimeout);
    }

    @Test
    void badDurabilitySettingsAreOneClearLineEach(@TempDir Path dir) throws Exception {
        String position = durabilityError(dir, "replication:\n  mode: position\ndurability:\n  mode: replica\n");
        assertTrue(position.contains("durability.mode replica needs replication.mode gtid"), position);
        String tooMany = durabilityError(dir, "durability:\n  mode: replica\n  replicas: 2\n");
        assertTrue(tooMany.contains("durability.replicas is 2 but the topology has 1 replica(s)"), tooMany);
        Path f = dir.resolve("never.yml");
        Files.writeString(f, TWO_SERVERS.replace("port: 3307\n", "port: 3307\n    neverPromote: true\n")
                + "durability:\n  mode: replica\n");
        String never = assertThrows(ConfigException.class, () -> BatonConfig.load(f)).getMessage();
        assertTrue(never.contains("the topology has 0 replica(s) besides the source that may be promoted"), never);
        assertTrue(durabilityError(dir, "monitor:\n  fastInterval: 2s\n").contains("monitor.fastInterval must be between"));
        assertTrue(durabilityError(dir, "monitor:\n  fastInterval: 5ms\n").contains("monitor.fastInterval must be between"));
        assertTrue(durabilityError(dir, "durability:\n  mode: semisync\n").contains("durability.mode must be async or replica"));
        assertTrue(durabilityError(dir, "durability:\n  onTimeout: wait\n").contains("durability.onTimeout must be hold or async"));
        assertTrue(durabilityError(dir, "durability:\n  acknowledge: applied\n").contains("durability.acknowledge must be received or executed, not 'applied'"));
        assertTrue(durabilityError(dir, "durability:\n  timeout: 0s\n").contains("durability.timeout must be a positive"));
        assertTrue(durabilityError(dir, "durability:\n  mode: replica\n  replicas: 0\n").contains("durability.replicas must be at least 1"));
        assertTrue(durabilityError(dir, "replay:\n  attempts: 0\n").contains("replay.attempts must be at least 1"));
        assertTrue(durabilityError(dir, "replay:\n  maxBytes: -1\n").contains("replay.maxBytes must be 0 or more"));
        assertTrue(durabilityError(dir, "replay:\n  enable: false\n").contains("enable"), "a misspelt key is named");
    }

    @Test
    void readPortSettingsAreReadAndBadOnesAreOneClearLineEach(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("r.yml");
        Files.writeString(f, TWO_SERVERS);
        BatonConfig c = BatonConfig.load(f);
        assertEquals(0, c.proxy.readPort, "no read port unless configured");
        assertEquals(Duration.ofSeconds(5), c.reads.maxLag);
        assertEquals("source", c.reads.fallback);
        assertEquals("eventual", c.reads.consistency);
        Files.writeString(f, "proxy:\n  readPort: 6034\n" + TWO_SERVERS
                + "reads:\n  maxLag: 300ms\n  fallback: error\n  consistency: user\n  causalTimeout: 2s\n");
        c = BatonConfig.load(f);
        assertEquals(6034, c.proxy.readPort);
        assertEquals(Duration.ofMillis(300), c.reads.maxLag);
        assertEquals("error", c.reads.fallback);
        assertEquals(io.baton.proxy.ProxySettings.Consistency.USER, io.baton.admin.BatonNode.reads(c).consistency());
        assertFalse(io.baton.admin.BatonNode.reads(c).fallbackToSource());
        assertTrue(durabilityError(dir, "reads:\n  consistency: strong\n")
                .contains("reads.consistency must be eventual, session, user or global, not 'strong'"));
        String position = durabilityError(dir, "replication:\n  mode: position\nreads:\n  consistency: session\n");
        assertTrue(position.contains("reads.consistency session needs replication.mode gtid"), position);
        Files.writeString(f, TWO_SERVERS + "replication:\n  mode: position\nreads:\n  consistency: eventual\n");
        assertEquals("eventual", BatonConfig.load(f).reads.consistency, "eventual reads work in position mode");
        assertTrue(durabilityError(dir, "proxy:\n  port: 7000\n  readPort: 7000\n")
                .contains("proxy.readPort 7000 is already the proxy, admin or metrics port"));
        assertTrue(durabilityError(dir, "proxy:\n  readPort: 70000\n").contains("proxy.readPort must be between 1 and 65535"));
        assertTrue(durabilityError(dir, "reads:\n  fallback: primary\n").contains("reads.fallback must be source or error"));
        assertTrue(durabilityError(dir, "reads:\n  maxLag: 0s\n").contains("reads.maxLag must be a positive"));
        assertTrue(durabilityError(dir, "reads:\n  lagInterval: 1ms\n").contains("reads.lagInterval must be at least"));
    }

    @Test
    void badClusterSettingsAreOneClearLineEach(@TempDir Path dir) throws Exception {
        assertTrue(clusterError(dir, "  name: shop\n").contains("cluster.zookeeper is missing"));
        assertTrue(clusterError(dir, "  zookeeper: zk1\n  name: shop\n").contains("'zk1' is not host:port"));
        assertTrue(clusterError(dir, "  zookeeper: 127.0.0.1:99999\n  name: shop\n").contains("is not host:port"));
        assertTrue(clusterError(dir, "  zookeeper: 127.0.0.1:2181/\n  name: shop\n").contains("bad chroot"));
        assertTrue(clusterError(dir, "  zookeeper: 127.0.0.1:2181\n  name: a/b\n").contains("cluster.name must be"));
        assertTrue(clusterError(dir, "  zookeeper: 127.0.0.1:2181\n").contains("cluster.name must be"));
        assertTrue(clusterError(dir, "  zookeeper: 127.0.0.1:2181\n  name: shop\n  nodeId: a/b\n")
                .contains("cluster.nodeId must be"));
        String lease = clusterError(dir, "  zookeeper: 127.0.0.1:2181\n  name: shop\n  leaseTimeout: 2500ms\n");
        assertTrue(lease.contains("cluster.leaseTimeout (2500ms) must be at most half of cluster.sessionTimeout"), lease);
        assertTrue(clusterError(dir, "  zookeeper: 127.0.0.1:2181\n  name: shop\n  barrierTimeout: 5s\n")
                .contains("cluster.barrierTimeout (5000ms) must be at least 1.5 times"));
        assertTrue(clusterError(dir, "  zookeeper: 127.0.0.1:2181\n  name: shop\n  sessionTimeout: 500ms\n")
                .contains("cluster.sessionTimeout must be at least 1s"));
        String unknown = clusterError(dir, "  zookeeper: 127.0.0.1:2181\n  name: shop\n  sesionTimeout: 4s\n");
        assertTrue(unknown.contains("unknown key 'sesionTimeout' at cluster"), unknown);
        for (String msg : List.of(lease, unknown)) {
            assertTrue(!msg.contains("\n"), "one line: " + msg);
        }
    }
}
