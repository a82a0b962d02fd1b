package io.baton.admin.config;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Baton's configuration file ({@code baton.yml}, as {@code ./baton sandbox up} writes it). Every key
 * has a default except the servers and users. Durations are written {@code 500ms}, {@code 10s},
 * {@code 2m}, {@code 1h} (or ISO-8601 such as {@code PT10S}). Fields the console may SET at runtime are
 * volatile: the monitor, the engine and the proxy read them from their own threads.
 */
@JsonIgnoreProperties(ignoreUnknown = false)
public final class BatonConfig {
    /** Shorter monitor rounds would only load the servers: a round takes a connection check per server. */
    public static final long MIN_MONITOR_INTERVAL_MS = 10;
    /** Bounds of limits.maxPacketBytes (the protocol's own largest packet is 1 GiB, as max_allowed_packet). */
    public static final int MIN_PACKET_BYTES = 1024;
    public static final int MAX_PACKET_BYTES = 1024 * 1024 * 1024;
    /** Upper bound of limits.ioThreads: more event loops than this only add threads that sleep. */
    public static final int MAX_IO_THREADS = 256;

    public ProxyListen proxy = new ProxyListen();
    public Admin admin = new Admin();
    public Listen metrics = new Listen(9033);
    public List<Server> servers = new ArrayList<>();
    public Monitor monitor = new Monitor();
    public Replication replication = new Replication();
    public List<User> users = new ArrayList<>();
    public Failover failover = new Failover();
    public Gate gate = new Gate();
    public Limits limits = new Limits();
    public Tls tls = new Tls();
    /** Several Baton nodes coordinated by ZooKeeper; absent (null): this Baton runs alone. */
    public Cluster cluster;
    public Durability durability = new Durability();
    public Replay replay = new Replay();
    public Reads reads = new Reads();
    public Pool pool = new Pool();

    /**
     * The server connections, shared by the sessions of both ports (docs/pool.md): a session holds one only while
     * it must (a transaction, a result, state only that connection has) and gives it back between statements.
     */
    public static final class Pool {
        /** Share connections at all (off: each session owns one for its whole life). */
        public boolean enabled = true;
        /** Connections per server, held and idle together. */
        public int maxPerServer = 64;
        /** An idle pooled connection is closed after this. */
        public Duration idleTimeout = Duration.ofSeconds(30);
        /** A session idle this long gives its connection back (at once when a statement waits for one). */
        public Duration releaseDelay = Duration.ofMillis(5);
        /** How long a statement waits for a connection when maxPerServer are in use, then ERR 1040. */
        public Duration maxWait = Duration.ofSeconds(10);
        /**
         * A login takes an idle connection of its user only if that connection's own server login is at most this old
         * (0: every login logs in to the server): how long a locked or dropped account can still log in through Baton.
         */
        public Duration loginReuse = Duration.ofSeconds(10);
        /** Idle connections per server kept once idle longer than idleTrim (these close at idleTimeout). */
        public int maxIdle = 8;
        /** Idle connections beyond maxIdle per server close once idle this long. */
        public Duration idleTrim = Duration.ofSeconds(1);
    }

    /** The proxy's ports: the read-write port, and the read-only port over the replicas (docs/reads.md). */
    public static final class ProxyListen extends Listen {
        /** The read-only port (0: none). */
        public int readPort;
        /**
         * Plain reads outside transactions on the read-write port go to a replica that has every write the session's
         * level needs (at least its own); everything else stays on the source (docs/reads.md). GTID mode only.
         */
        public boolean splitReads;

        public ProxyListen() {
            super(6033);
        }
    }

    /** How the read-only port chooses replicas (docs/reads.md). */
    public static final class Reads {
        /** A replica further behind the source than this gets no new read statements. */
        public volatile Duration maxLag = Duration.ofSeconds(5);
        /** No replica qualifies: source (reads go to the source, still read-only) or error (a clear ERR). */
        public String fallback = "source";
        /** eventual, session, user or global: what a read must see; sessions may change theirs. */
        public String consistency = "eventual";
        /** How long a read waits for a replica to have the writes it must see before it runs on the source. */
        public Duration causalTimeout = Duration.ofSeconds(1);
        /** How often each replica's lag is measured (its resolution; docs/reads.md). */
        public Duration lagInterval = Duration.ofMillis(50);
    }

    /**
     * Transaction replay: a transaction open when its server is lost (or its session moves) runs again on the new
     * source, each answer compared with what the client saw (docs/replay.md).
     */
    public static final class Replay {
        public boolean enabled = true;
        /** Statements kept per open transaction; a larger transaction is not replayed (ERR 1213 as without replay). */
        public int maxBytes = 1024 * 1024;
        /** Replays tried per transaction when the new backend fails during one. */
        public int attempts = 3;
    }

    /**
     * When a commit's OK reaches the client. async: at once (the server's own acknowledgement, as today).
     * replica: once {@code replicas} replicas have the transaction (received it, or executed it: see acknowledge),
     * so that no acknowledged write is lost when the source crashes (docs/durability.md).
     */
    public static final class Durability {
        public String mode = "async";
        /** How many replicas must have a commit before its OK goes to the client. */
        public int replicas = 1;
        /** How long an OK waits for the replicas before onTimeout applies. */
        public Duration timeout = Duration.ofSeconds(1);
        /**
         * hold: the OK keeps waiting, at most gate.maxWait in all, then the client gets an error (outcome
         * unknown). async: the OK goes after timeout, unprotected, with a WARN, a metric and a health flag.
         */
        public String onTimeout = "hold";
        /**
         * What a replica must have done with a commit for its OK to go: received (written to its relay log, as
         * semi-synchronous replication acknowledges; read from performance_schema, MySQL only) or executed. A server
         * that cannot report what it received (performance_schema off, MariaDB) is asked what it executed.
         */
        public String acknowledge = "received";

        public boolean onReceipt() {
            return "received".equals(acknowledge);
        }

        public boolean replicaMode() {
            return "replica".equals(mode);
        }
    }

    public static class Listen {
        public String host = "127.0.0.1";
        public int port;

        public Listen() {
        }

        Listen(int port) {
            this.port = port;
        }
    }

    public static final class Admin extends Listen {
        /** The console password; or passwordFile, or the environment variable BATON_ADMIN_PASSWORD. */
        public String password;
        public String passwordFile;
        /** Run the console at all (it also stays off, with a warning, while no password is configured). */
        public boolean enabled = true;
        /** The console listens on loopback only unless this is true (the password crosses the network in clear). */
        public boolean allowRemote = false;
        /** Console connections at once; one more is told so and closed. */
        public volatile int maxConnections = 16;
        /** A console session idle this long is closed (before AUTH: at most 1 minute). */
        public volatile Duration idleTimeout = Duration.ofMinutes(10);

        public Admin() {
            super(6032);
        }
    }

    public static final class Server {
        public String name;
        public String host = "127.0.0.1";
        public int port = 3306;
        /** Initial role hint (source or replica); the monitor decides from the servers themselves. */
        public String role;
        /** Higher wins among equally advanced candidates. */
        public int priority;
        /** Never promote this server (the manual's never-promote list). */
        public boolean neverPromote;
    }

    public static final class Monitor {
        public String user = "baton";
        public String password;
        public volatile Duration interval = Duration.ofMillis(500);
        public Duration connectTimeout = Duration.ofSeconds(1);
        public Duration queryTimeout = Duration.ofSeconds(2);
        /** Consecutive failed checks before the source counts as unreachable. */
        public volatile int failedChecks = 3;
        /**
         * After the source refused or reset a connection (a crashed mysqld on a live host does so at once), the next
         * checks come this soon instead of one interval later; a source that is only slow or silent is checked at
         * the interval as before. Equal to the interval: no fast checks.
         */
        public volatile Duration fastInterval = Duration.ofMillis(50);
    }

    public static final class Replication {
        /** gtid or position. */
        public String mode = "gtid";
        public String user = "repl";
        public String password;
    }

    public static final class User {
        public String user;
        /** Cleartext password (the proxy verifies clients with it and opens backends as this user). */
        public String password;
        /**
         * Instead of password: the server's stored form, mysql.user.authentication_string — {@code *HEX}
         * for mysql_native_password, or HEX(authentication_string) of a caching_sha2_password account
         * (clients then log in once on the full path: TLS, or RSA with allowPublicKeyRetrieval).
         */
        public String passwordHash;
    }

    public static final class Failover {
        public volatile boolean auto = true;
        public volatile int blockSeconds = 120;
        public volatile boolean autoRejoin = false;
        /** Longest a replica may take to apply its relay log during failover. */
        public volatile Duration applyTimeout = Duration.ofSeconds(30);
        /**
         * Longest STOP REPLICA may wait for the applier before Baton ends the applier's threads. A
         * multi-threaded applier whose relay log ends inside a transaction (its source died while sending
         * it) otherwise waits 60 s for a rest that never comes.
         */
        public volatile Duration stopTimeout = Duration.ofSeconds(5);
        /** Commands run before and after a failover with old and new source as arguments. */
        public String preHook;
        public String postHook;
        public volatile Duration hookTimeout = Duration.ofSeconds(30);
        /** A replica further behind than this is reported by the pre-flight checks as too far behind to promote. */
        public volatile int maxPromotionLagSeconds = 60;
        /**
         * Where failover reports are kept as JSON (the last 50), so that a later process knows what an
         * earlier failover did (rejoin in position mode needs it). Unset: in memory only.
         */
        public String reportDir;
    }

    public static final class Gate {
        public volatile Duration maxWait = Duration.ofSeconds(10);
    }

    public static final class Limits {
        public volatile int maxConnections = 3000;
        /** Largest client packet Baton relays; the server's max_allowed_packet applies as well. */
        public volatile int maxPacketBytes = 1024 * 1024 * 1024;
        public volatile Duration idleTimeout = Duration.ofHours(8);
        public volatile Duration connectTimeout = Duration.ofSeconds(10);
        public volatile Duration backendConnectTimeout = Duration.ofSeconds(5);
        /** Event-loop threads of the proxy (0: half the cores, at least one). */
        public int ioThreads = 0;
    }

    public static final class Tls {
        /** Offer TLS to clients (with certFile/keyFile, or a self-signed certificate made at start). */
        public boolean enabled = true;
        public String certFile;
        public String keyFile;
        /** Use TLS to the backend servers. */
        public boolean backend = false;
    }

    /**
     * {@code cluster:}: the nodes of one Baton cluster share one MySQL topology and coordinate through
     * ZooKeeper (docs/cluster.md): one leader decides, every node routes by one epoch-stamped record.
     */
    public static final class Cluster {
        /** ZooKeeper connect string: host:port[,host:port...][/chroot]. */
        public String zookeeper;
        /** One Baton cluster per MySQL topology; its znodes live under /baton/&lt;name&gt;. */
        public String name;
        /** This node's name in the cluster (default: the proxy's host:port). */
        public String nodeId;
        /** The ZooKeeper session timeout: a node silent this long is out of the cluster. */
        public Duration sessionTimeout = Duration.ofSeconds(4);
        /** Bound on connecting to ZooKeeper at start, and on each ZooKeeper operation. */
        public Duration connectionTimeout = Duration.ofSeconds(3);
        /**
         * How long a node routes after its last confirmed contact with the ZooKeeper quorum (default and
         * at most: half the session timeout, so a node's lease ends before the others may count it out,
         * whatever ZooKeeper's tick; docs/cluster.md).
         */
        public Duration leaseTimeout;
        /**
         * How long the leader waits for every node to apply a change of route (default: twice the session
         * timeout, at least 1.5 times: a node that does not answer has been counted out by then, ZooKeeper
         * expiring sessions up to one tick, at most half a session timeout, late).
         */
        public Duration barrierTimeout;

        public Duration lease() {
            return leaseTimeout != null ? leaseTimeout : sessionTimeout.dividedBy(2);
        }

        public Duration barrier() {
            return barrierTimeout != null ? barrierTimeout : sessionTimeout.multipliedBy(2);
        }
    }

    /** The YAML mapper: durations as 500ms / 10s, unknown keys rejected with their name. */
    public static ObjectMapper mapper() {
        SimpleModule m = new SimpleModule("baton-durations");
        m.addDeserializer(Duration.class, new DurationText.Deserializer());
        m.addSerializer(Duration.class, new DurationText.Serializer());
        return new ObjectMapper(new YAMLFactory()).registerModule(m)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    /** Reads and validates a configuration file; errors name the file, the key and what is expected. */
    public static BatonConfig load(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new ConfigException("no configuration file at " + file);
        }
        BatonConfig c;
        try {
            c = mapper().readValue(file.toFile(), BatonConfig.class);
        } catch (UnrecognizedPropertyException e) {
            throw new ConfigException(file + ": unknown key '" + e.getPropertyName() + "' at " + path(e)
                    + "; known keys there: " + e.getKnownPropertyIds());
        } catch (JsonMappingException e) {
            throw new ConfigException(file + ": bad value at " + path(e) + ": " + e.getOriginalMessage());
        } catch (IOException e) {
            throw new ConfigException(file + ": " + e.getMessage());
        }
        if (c == null) {
            throw new ConfigException(file + " is empty");
        }
        c.validate(file.toString());
        return c;
    }

    private static String path(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                sb.append(sb.length() == 0 ? "" : ".").append(r.getFieldName());
            } else {
                sb.append('[').append(r.getIndex()).append(']');
            }
        }
        return sb.length() == 0 ? "top level" : sb.toString();
    }

    /** Checks what the YAML types cannot: required entries, ranges, uniqueness. */
    public void validate(String where) {
        List<String> errors = new ArrayList<>();
        if (servers == null || servers.isEmpty()) {
            errors.add("servers: at least one server is needed");
        } else {
            java.util.Set<String> names = new java.util.HashSet<>();
            for (int i = 0; i < servers.size(); i++) {
                Server s = servers.get(i);
                if (s.name == null || s.name.isBlank()) {
                    errors.add("servers[" + i + "].name is missing");
                } else if (!names.add(s.name)) {
                    errors.add("servers[" + i + "].name '" + s.name + "' is used twice");
                }
                port(errors, "servers[" + i + "].port", s.port);
                if (s.role != null && !s.role.equals("source") && !s.role.equals("replica")) {
                    errors.add("servers[" + i + "].role must be source or replica, not '" + s.role + "'");
                }
            }
        }
        if (users == null || users.isEmpty()) {
            errors.add("users: at least one user is needed");
        } else {
            for (int i = 0; i < users.size(); i++) {
                if (users.get(i).user == null || users.get(i).user.isBlank()) {
                    errors.add("users[" + i + "].user is missing");
                }
                User u = users.get(i);
                if (u.password == null && u.passwordHash == null) {
                    errors.add("users[" + i + "].password (or passwordHash) is missing");
                } else if (u.password != null && u.passwordHash != null) {
                    errors.add("users[" + i + "]: give password or passwordHash, not both");
                } else if (u.passwordHash != null) {
                    try {
                        io.baton.proxy.UserDirectory.checkHash(u.passwordHash);
                    } catch (IllegalArgumentException e) {
                        errors.add("users[" + i + "].passwordHash: " + e.getMessage());
                    }
                }
            }
        }
        port(errors, "proxy.port", proxy.port);
        port(errors, "admin.port", admin.port);
        port(errors, "metrics.port", metrics.port);
        if (!"gtid".equals(replication.mode) && !"position".equals(replication.mode)) {
            errors.add("replication.mode must be gtid or position, not '" + replication.mode + "'");
        }
        validateDurability(errors);
        validateReads(errors);
        if (replay == null) {
            replay = new Replay();
        }
        if (pool == null) {
            pool = new Pool();
        }
        if (pool.maxPerServer < 1 || pool.maxPerServer > 100_000) {
            errors.add("pool.maxPerServer must be between 1 and 100000 connections, not " + pool.maxPerServer);
        }
        if (pool.idleTimeout == null || pool.idleTimeout.toMillis() < 100) {
            errors.add("pool.idleTimeout must be at least 100ms");
        }
        if (pool.releaseDelay == null || pool.releaseDelay.isNegative() || pool.releaseDelay.toSeconds() > 3600) {
            errors.add("pool.releaseDelay must be between 0ms and 1h");
        }
        if (pool.maxWait == null || pool.maxWait.toMillis() < 1) {
            errors.add("pool.maxWait must be at least 1ms");
        }
        if (pool.loginReuse == null || pool.loginReuse.isNegative() || pool.loginReuse.toSeconds() > 3600) {
            errors.add("pool.loginReuse must be between 0ms (logins always log in to the server) and 1h");
        }
        if (pool.maxIdle < 0 || pool.maxIdle > 100_000) {
            errors.add("pool.maxIdle must be between 0 and 100000 connections, not " + pool.maxIdle);
        }
        if (pool.idleTrim == null || pool.idleTrim.toMillis() < 100 || pool.idleTrim.toSeconds() > 3600) {
            errors.add("pool.idleTrim must be between 100ms and 1h");
        }
        if (replay.maxBytes < 0) {
            errors.add("replay.maxBytes must be 0 or more bytes (0: no transaction is kept for a replay)");
        }
        if (replay.attempts < 1) {
            errors.add("replay.attempts must be at least 1");
        }
        if (admin.maxConnections < 1) {
            errors.add("admin.maxConnections must be at least 1");
        }
        positive(errors, "admin.idleTimeout", admin.idleTimeout);
        positive(errors, "monitor.interval", monitor.interval);
        if (monitor.interval != null && monitor.interval.toMillis() < MIN_MONITOR_INTERVAL_MS) {
            errors.add("monitor.interval must be at least " + MIN_MONITOR_INTERVAL_MS + "ms");
        }
        positive(errors, "monitor.fastInterval", monitor.fastInterval);
        if (monitor.fastInterval != null && monitor.interval != null && !monitor.fastInterval.isNegative()
                && (monitor.fastInterval.toMillis() < MIN_MONITOR_INTERVAL_MS || monitor.fastInterval.compareTo(monitor.interval) > 0)) {
            errors.add("monitor.fastInterval must be between " + MIN_MONITOR_INTERVAL_MS + "ms and monitor.interval ("
                    + monitor.interval.toMillis() + "ms)");
        }
        positive(errors, "gate.maxWait", gate.maxWait);
        positive(errors, "failover.stopTimeout", failover.stopTimeout);
        positive(errors, "limits.idleTimeout", limits.idleTimeout);
        positive(errors, "limits.connectTimeout", limits.connectTimeout);
        positive(errors, "limits.backendConnectTimeout", limits.backendConnectTimeout);
        if (monitor.failedChecks < 1) {
            errors.add("monitor.failedChecks must be at least 1");
        }
        if (failover.blockSeconds < 0) {
            errors.add("failover.blockSeconds must not be negative");
        }
        if (limits.maxConnections < 1) {
            errors.add("limits.maxConnections must be at least 1");
        }
        if (limits.ioThreads < 0 || limits.ioThreads > MAX_IO_THREADS) {
            errors.add("limits.ioThreads must be 0 (half the cores) or between 1 and " + MAX_IO_THREADS + ", not "
                    + limits.ioThreads);
        }
        if (limits.maxPacketBytes < MIN_PACKET_BYTES || limits.maxPacketBytes > MAX_PACKET_BYTES) {
            errors.add("limits.maxPacketBytes must be between " + MIN_PACKET_BYTES + " and " + MAX_PACKET_BYTES);
        }
        if ((tls.certFile == null) != (tls.keyFile == null)) {
            errors.add("tls.certFile and tls.keyFile go together");
        }
        if (cluster != null) {
            validateCluster(errors);
        }
        if (!errors.isEmpty()) {
            throw new ConfigException(where + ": " + String.join("; ", errors));
        }
    }

    private static final java.util.regex.Pattern CLUSTER_NAME = java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final java.util.regex.Pattern ZK_HOST = java.util.regex.Pattern.compile("[A-Za-z0-9_.\\[\\]:-]+:(\\d{1,5})");

    private void validateCluster(List<String> errors) {
        Cluster k = cluster;
        if (k.zookeeper == null || k.zookeeper.isBlank()) {
            errors.add("cluster.zookeeper is missing: the ZooKeeper connect string, e.g. 127.0.0.1:2181,127.0.0.1:2182");
        } else {
            String hosts = k.zookeeper.strip();
            int slash = hosts.indexOf('/');
            if (slash >= 0) {
                String chroot = hosts.substring(slash);
                hosts = hosts.substring(0, slash);
                if (chroot.length() < 2 || chroot.endsWith("/") || chroot.contains("//")) {
                    errors.add("cluster.zookeeper: bad chroot '" + chroot + "' (e.g. /apps)");
                }
            }
            for (String h : hosts.split(",", -1)) {
                java.util.regex.Matcher m = ZK_HOST.matcher(h.strip());
                if (!m.matches() || Integer.parseInt(m.group(1)) < 1 || Integer.parseInt(m.group(1)) > 65535) {
                    errors.add("cluster.zookeeper: '" + h.strip() + "' is not host:port (connect string '" + k.zookeeper
                            + "', e.g. 127.0.0.1:2181,127.0.0.1:2182)");
                    break;
                }
            }
        }
        if (k.name == null || !CLUSTER_NAME.matcher(k.name).matches()) {
            errors.add("cluster.name must be 1-64 letters, digits, '_', '.' or '-' (not starting with one of the last"
                    + " three), not " + (k.name == null ? "missing" : "'" + k.name + "'"));
        }
        if (k.nodeId != null && (k.nodeId.isBlank() || k.nodeId.contains("/") || k.nodeId.length() > 128)) {
            errors.add("cluster.nodeId must be 1-128 characters without '/', not '" + k.nodeId + "'");
        }
        positive(errors, "cluster.sessionTimeout", k.sessionTimeout);
        positive(errors, "cluster.connectionTimeout", k.connectionTimeout);
        if (k.leaseTimeout != null) {
            positive(errors, "cluster.leaseTimeout", k.leaseTimeout);
        }
        if (k.barrierTimeout != null) {
            positive(errors, "cluster.barrierTimeout", k.barrierTimeout);
        }
        if (k.sessionTimeout != null && k.sessionTimeout.toMillis() >= 1000) {
            if (k.lease().compareTo(k.sessionTimeout.dividedBy(2)) > 0) {
                errors.add("cluster.leaseTimeout (" + k.lease().toMillis() + "ms) must be at most half of"
                        + " cluster.sessionTimeout (" + k.sessionTimeout.toMillis() + "ms): a node must stop routing before"
                        + " the others may count it out");
            }
            if (k.barrier().compareTo(k.sessionTimeout.multipliedBy(3).dividedBy(2)) < 0) {
                errors.add("cluster.barrierTimeout (" + k.barrier().toMillis() + "ms) must be at least 1.5 times"
                        + " cluster.sessionTimeout (" + k.sessionTimeout.toMillis() + "ms)");
            }
        } else if (k.sessionTimeout != null && !k.sessionTimeout.isNegative() && !k.sessionTimeout.isZero()) {
            errors.add("cluster.sessionTimeout must be at least 1s");
        }
    }

    private void validateReads(List<String> errors) {
        if (reads == null) {
            reads = new Reads();
        }
        if (proxy.readPort != 0) {
            port(errors, "proxy.readPort", proxy.readPort);
            if (proxy.readPort == proxy.port || proxy.readPort == admin.port || proxy.readPort == metrics.port) {
                errors.add("proxy.readPort " + proxy.readPort + " is already the proxy, admin or metrics port");
            }
        }
        if (!"source".equals(reads.fallback) && !"error".equals(reads.fallback)) {
            errors.add("reads.fallback must be source or error, not '" + reads.fallback + "'");
        }
        io.baton.proxy.ProxySettings.Consistency level = io.baton.proxy.ProxySettings.Consistency.of(reads.consistency);
        if (level == null) {
            errors.add("reads.consistency must be eventual, session, user or global, not '" + reads.consistency + "'");
        } else if (level != io.baton.proxy.ProxySettings.Consistency.EVENTUAL && "position".equals(replication.mode)) {
            errors.add("reads.consistency " + level.label() + " needs replication.mode gtid: Baton learns each write's"
                    + " GTID from its OK and waits until a replica has it; binary log positions cannot say that");
        }
        if (proxy.splitReads && "position".equals(replication.mode)) {
            errors.add("proxy.splitReads needs replication.mode gtid: a read split off the read-write port must see"
                    + " the session's own writes, and only GTIDs tell which writes a replica has");
        }
        positive(errors, "reads.maxLag", reads.maxLag);
        positive(errors, "reads.causalTimeout", reads.causalTimeout);
        positive(errors, "reads.lagInterval", reads.lagInterval);
        if (reads.lagInterval != null && reads.lagInterval.toMillis() < MIN_MONITOR_INTERVAL_MS) {
            errors.add("reads.lagInterval must be at least " + MIN_MONITOR_INTERVAL_MS + "ms");
        }
    }

    private static void port(List<String> errors, String key, int port) {
        if (port < 1 || port > 65535) {
            errors.add(key + " must be between 1 and 65535, not " + port);
        }
    }

    private void validateDurability(List<String> errors) {
        Durability d = durability;
        if (d == null) {
            durability = new Durability();
            return;
        }
        if (!"async".equals(d.mode) && !"replica".equals(d.mode)) {
            errors.add("durability.mode must be async or replica, not '" + d.mode + "'");
        }
        if (!"hold".equals(d.onTimeout) && !"async".equals(d.onTimeout)) {
            errors.add("durability.onTimeout must be hold or async, not '" + d.onTimeout + "'");
        }
        if (!"received".equals(d.acknowledge) && !"executed".equals(d.acknowledge)) {
            errors.add("durability.acknowledge must be received or executed, not '" + d.acknowledge + "'");
        }
        positive(errors, "durability.timeout", d.timeout);
        if (d.replicas < 1) {
            errors.add("durability.replicas must be at least 1");
        }
        if (d.replicaMode()) {
            if ("position".equals(replication.mode)) {
                errors.add("durability.mode replica needs replication.mode gtid: Baton learns each commit's GTID from"
                        + " its OK and waits until replicas have it; binary log positions cannot say that");
            }
            // Never-promote servers do not acknowledge: a commit only they have is lost when one of the others is promoted.
            int promotable = servers == null ? 0 : (int) servers.stream().filter(s -> s != null && !s.neverPromote).count();
            int replicaCount = Math.max(0, promotable - 1);
            if (d.replicas > replicaCount) {
                errors.add("durability.replicas is " + d.replicas + " but the topology has " + replicaCount
                        + " replica(s) besides the source that may be promoted (never-promote servers do not"
                        + " acknowledge): no commit could ever be acknowledged");
            }
        }
    }

    private static void positive(List<String> errors, String key, Duration d) {
        if (d == null || d.isNegative() || d.isZero()) {
            errors.add(key + " must be a positive duration such as 500ms or 10s");
        }
    }

    public Server server(String name) {
        return servers.stream().filter(s -> s.name.equals(name)).findFirst().orElse(null);
    }
}
