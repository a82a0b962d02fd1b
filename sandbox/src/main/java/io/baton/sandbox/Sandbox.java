package io.baton.sandbox;

import io.baton.dialect.Dialect;
import io.baton.dialect.Dialect.ReplicaColumn;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Real MySQL/MariaDB topologies on one machine: one source and N replicas as mysqld processes on
 * loopback, replication wired and verified. Every server's files live under {@code DIR/<name>/};
 * {@code DIR/topology.json} describes the whole for scripts and tests.
 */
public final class Sandbox {
    private static final Logger log = LoggerFactory.getLogger(Sandbox.class);
    static final String HOST = LoopbackPorts.HOST;
    private static final int FIRST_PORT = 33100;
    private static final long STOP_GRACE_MILLIS = 60_000;
    private static final SecureRandom RANDOM = new SecureRandom();

    private Sandbox() {
    }

    /** Starts a topology and returns once replication runs on every replica and has carried a write. */
    public static SandboxTopology up(SandboxOptions o) {
        Path dir = o.dir().toAbsolutePath().normalize();
        refuseOccupied(dir);
        Distribution dist = Distribution.resolve(o.flavor());
        Dialect dialect = Dialect.of(dist.version());
        Path template = DatadirTemplate.ensure(dist);
        int[] ports = allocatePorts(o);
        Credentials cred = Credentials.generate(o.flavor());

        List<ServerRecord> started = new CopyOnWriteArrayList<>();
        Thread onInterrupt = new Thread(() -> stopAll(started), "sandbox-up-interrupted");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        long t0 = System.nanoTime();
        try {
            Files.createDirectories(dir);
            for (int i = 0; i <= o.replicas(); i++) {
                String name = "db" + (i + 1);
                ServerFlags.ServerLayout layout = new ServerFlags.ServerLayout(dir.resolve(name));
                List<String> cmd = ServerFlags.command(dist, o.mode(), layout, ports[i], i + 1, o.bufferPoolMb(),
                        o.performanceSchema());
                ServerRecord rec = new ServerRecord(name, ports[i], i + 1, layout.data().toString(), cmd, 0);
                Files.createDirectories(layout.tmp());
                rec.write(layout.home()); // first, so that status/down know this server whatever happens next
                Fs.copyTree(template, layout.data());
                Files.writeString(layout.initFile(), cred.initSql(o.flavor()));
                List<String> first = new ArrayList<>(cmd);
                first.add("--init-file=" + layout.initFile()); // users, created once and kept out of the binary log
                rec = rec.withPid(ServerProcess.spawn(first, layout.stdout()));
                rec.write(layout.home());
                started.add(rec);
            }
            List<Connection> conns = new ArrayList<>();
            try {
                for (ServerRecord rec : started) {
                    conns.add(awaitReady(rec, cred.root(), o.startTimeoutSeconds()));
                    Files.deleteIfExists(rec.layout().initFile());
                }
                long tStarted = System.nanoTime();
                wireReplication(dialect, o.mode(), conns, ports, cred);
                verifyReplication(dialect, conns, 30);
                log.info("replication verified on {} replica(s) in {} ms", o.replicas(), (System.nanoTime() - tStarted) / 1_000_000);
            } finally {
                for (Connection c : conns) {
                    closeQuietly(c);
                }
            }
            List<TopologyFile.Server> servers = new ArrayList<>();
            for (int i = 0; i < started.size(); i++) {
                ServerRecord rec = started.get(i);
                servers.add(new TopologyFile.Server(rec.name(), HOST, rec.port(), i == 0 ? "source" : "replica",
                        rec.livePid(), rec.serverId()));
            }
            Path config = dir.resolve("baton.yml");
            TopologyFile topo = new TopologyFile(o.flavor().id(), o.mode().id(), dist.version(), config.toString(), servers,
                    cred.users(), new TopologyFile.ProxyPort(o.proxyPort(), readPortAfter(o, ports)),
                    new TopologyFile.Admin(o.adminPort(), cred.adminPassword),
                    new TopologyFile.Port(o.metricsPort()));
            Files.writeString(config, ProxyConfigFile.render(dir, topo));
            topo.write(dir);
            log.info("sandbox {} {} {} with {} replica(s) is up in {} ms", dir, o.flavor(), o.mode(), o.replicas(),
                    (System.nanoTime() - t0) / 1_000_000);
            return new SandboxTopology(dir, topo);
        } catch (IOException | SQLException | RuntimeException e) {
            stopAll(started);
            String msg = e instanceof SandboxException ? e.getMessage() : e.toString();
            throw new SandboxException(msg + (started.isEmpty() ? "" : " (servers stopped; their logs are under " + dir + ")"), e);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already
            }
        }
    }

    /** One line per server: name, port, pid, and whether it runs. */
    public static List<ServerState> status(Path dir) {
        dir = dir.toAbsolutePath().normalize();
        List<ServerRecord> records = records(dir);
        TopologyFile topo = Files.isRegularFile(dir.resolve(TopologyFile.FILE)) ? TopologyFile.read(dir) : null;
        List<ServerState> out = new ArrayList<>();
        for (ServerRecord r : records) {
            long pid = r.livePid();
            String role = pid == 0 ? "down" : liveRole(topo, r);
            out.add(new ServerState(r.name(), HOST, r.port(), pid, pid != 0, role));
        }
        return out;
    }

    /** Stops every server cleanly (SIGTERM, then SIGKILL after a grace period); deletes the data with purge. */
    public static void down(Path dir, boolean purge) {
        dir = dir.toAbsolutePath().normalize();
        List<ServerRecord> records = records(dir);
        stopAll(records);
        if (purge) {
            try {
                for (ServerRecord r : records) {
                    Fs.deleteTree(r.layout().home());
                }
                try (var homes = Files.list(dir)) {
                    // a server folder an interrupted 'up' made before writing its record
                    for (Path home : homes.filter(p -> p.getFileName().toString().matches(ServerRecord.HOMES)).toList()) {
                        Fs.deleteTree(home);
                    }
                }
                Files.deleteIfExists(dir.resolve(TopologyFile.FILE));
                Files.deleteIfExists(dir.resolve("baton.yml"));
                try (var s = Files.list(dir)) {
                    if (s.findAny().isEmpty()) {
                        Files.delete(dir);
                    }
                }
            } catch (IOException e) {
                throw new SandboxException("servers stopped, but purging " + dir + " failed: " + e.getMessage(), e);
            }
        }
    }

    /** kill -9 of one server, for failure drills. */
    public static long kill(Path dir, String name) {
        dir = dir.toAbsolutePath().normalize();
        ServerRecord r = record(dir, name);
        long pid = r.livePid();
        if (pid == 0) {
            throw new SandboxException(name + " is not running");
        }
        ServerProcess.kill(pid, r.datadirPath());
        log.info("killed {} (pid {})", name, pid);
        return pid;
    }

    /**
     * SIGSTOP (pause) or SIGCONT (resume) of one server: frozen, it keeps its sockets open and answers nothing, as a
     * stalled host or a long pause looks to its peers.
     */
    public static void signal(Path dir, String name, boolean pause) {
        dir = dir.toAbsolutePath().normalize();
        ServerRecord r = record(dir, name);
        long pid = r.livePid();
        if (pid == 0) {
            throw new SandboxException(name + " is not running");
        }
        ServerProcess.signal(pid, ServerProcess.datadirMark(r.datadirPath()), pause ? "STOP" : "CONT");
        log.info("{} {} (pid {})", pause ? "paused" : "resumed", name, pid);
    }

    /** Restarts one server on its datadir with the flags it was first started with. */
    public static long start(Path dir, String name, int timeoutSeconds) {
        dir = dir.toAbsolutePath().normalize();
        ServerRecord r = record(dir, name);
        long running = r.livePid();
        if (running != 0) {
            throw new SandboxException(name + " is already running (pid " + running + ")");
        }
        for (int i = 0; i < 100 && !LoopbackPorts.isFree(r.port()); i++) {
            sleep(100); // a server that just exited may hold its port for a moment
        }
        LoopbackPorts.requireFree(r.port(), "restart " + name + " once it is free");
        TopologyFile topo = TopologyFile.read(dir);
        try {
            clearStaleSocketLock(r);
            Files.deleteIfExists(r.layout().pidFile()); // a killed server's: it would name a dead PID
            ServerRecord rec = r.withPid(ServerProcess.spawn(r.command(), r.layout().stdout()));
            rec.write(r.layout().home());
            try (Connection c = awaitReady(rec, topo.user("root"), timeoutSeconds)) {
                long pid = rec.livePid();
                List<TopologyFile.Server> servers = topo.servers().stream()
                        .map(s -> s.name().equals(name) ? s.withPid(pid) : s).toList();
                new TopologyFile(topo.flavor(), topo.mode(), topo.version(), topo.config(), servers, topo.users(),
                        topo.proxy(), topo.admin(), topo.metrics()).write(dir);
                return pid;
            }
        } catch (IOException | SQLException e) {
            throw new SandboxException("could not start " + name + ": " + e.getMessage(), e);
        }
    }

    // ----------------------------------------------------------------------------------------------

    /**
     * After a kill -9, mysqld's socket lock file still names the dead PID; for a moment that PID can
     * still exist as a zombie, and mysqld then refuses to start. The lock is stale when the PID is not
     * a live server on this datadir.
     */
    private static void clearStaleSocketLock(ServerRecord r) throws IOException {
        Path socket = r.layout().socket();
        Path lock = socket.resolveSibling(socket.getFileName() + ".lock");
        if (Files.isRegularFile(lock)) {
            String pid = Files.readString(lock).trim();
            if (pid.matches("\\d+") && !ServerProcess.isOurs(Long.parseLong(pid), r.datadirPath())) {
                Files.deleteIfExists(lock);
                Files.deleteIfExists(socket);
            }
        }
    }

    private static void refuseOccupied(Path dir) {
        if (!Files.isDirectory(dir)) {
            if (Files.exists(dir)) {
                throw new SandboxException(dir + " exists and is not a directory; choose another --dir");
            }
            return;
        }
        List<ServerRecord> records = ServerRecord.scan(dir);
        List<String> running = records.stream().filter(r -> r.livePid() != 0)
                .map(r -> r.name() + " (pid " + r.livePid() + ")").toList();
        if (!running.isEmpty()) {
            throw new SandboxException(dir + " holds a running topology: " + String.join(", ", running)
                    + "; stop it with './baton sandbox down --dir " + dir + "' or choose another --dir");
        }
        if (!records.isEmpty() || Files.exists(dir.resolve(TopologyFile.FILE))) {
            throw new SandboxException(dir + " holds a stopped topology; remove it with './baton sandbox down --dir " + dir
                    + " --purge' or choose another --dir");
        }
    }

    private static List<ServerRecord> records(Path dir) {
        List<ServerRecord> records = ServerRecord.scan(dir);
        if (records.isEmpty()) {
            throw new SandboxException(dir + " holds no sandbox (no " + dir.resolve("<name>/server.json") + ")");
        }
        return records;
    }

    private static ServerRecord record(Path dir, String name) {
        List<ServerRecord> records = records(dir);
        return records.stream().filter(r -> r.name().equals(name)).findFirst()
                .orElseThrow(() -> new SandboxException("no server named '" + name + "' in " + dir + "; servers: "
                        + records.stream().map(ServerRecord::name).collect(Collectors.joining(", "))));
    }

    static int[] allocatePorts(SandboxOptions o) {
        int n = o.replicas() + 1;
        int[] ports = new int[n];
        if (o.basePort() != 0) {
            for (int i = 0; i < n; i++) {
                ports[i] = o.basePort() + i;
                LoopbackPorts.requireFree(ports[i], "choose another --base-port, or omit it to pick free ports");
            }
            return ports;
        }
        return LoopbackPorts.freeFrom(FIRST_PORT, n);
    }

    /** A loopback port the kernel considers free right now (for proxies, consoles and tests). */
    /**
     * The read-only port written to baton.yml: the first free port after the proxy's that is none of the sandbox's
     * other ports.
     */
    static int readPortAfter(SandboxOptions o, int[] taken) {
        for (int p = o.proxyPort() + 1; p <= 65535; p++) {
            int candidate = p;
            boolean server = java.util.Arrays.stream(taken).anyMatch(x -> x == candidate);
            if (p != o.adminPort() && p != o.metricsPort() && !server && LoopbackPorts.isFree(p)) {
                return p;
            }
        }
        return LoopbackPorts.any();
    }

    public static int freeLoopbackPort() {
        return LoopbackPorts.any();
    }

    private static Connection awaitReady(ServerRecord rec, TopologyFile.User root, int timeoutSeconds) throws SQLException {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        SQLException last = null;
        long goneSince = 0;
        while (System.nanoTime() < deadline) {
            // Alive: the server of this datadir (by its pid file, or the PID recorded at spawn) exists.
            // Gone for 2 s: it exited (a moment without either is normal while it starts).
            boolean alive = rec.livePid() != 0 || ProcessHandle.of(rec.pid()).map(ProcessHandle::isAlive).orElse(false);
            if (alive) {
                goneSince = 0;
            } else if (goneSince == 0) {
                goneSince = System.nanoTime();
            } else if (System.nanoTime() - goneSince > 2_000_000_000L) {
                throw new SandboxException(rec.name() + " exited during start-up: "
                        + ServerProcess.tail(rec.layout().errorLog(), 4) + " (log: " + rec.layout().errorLog() + ")");
            }
            try {
                return Sql.connect(HOST, rec.port(), root.user(), root.password(), 1000);
            } catch (SQLException e) {
                last = e;
            }
            sleep(100);
        }
        throw new SandboxException(rec.name() + " did not accept connections within " + timeoutSeconds + " s"
                + (last != null ? " (" + last.getMessage() + ")" : "") + "; log: " + rec.layout().errorLog());
    }

    private static void wireReplication(Dialect d, ReplicationMode mode, List<Connection> conns, int[] ports,
                                        Credentials cred) throws SQLException {
        Connection source = conns.get(0);
        Map<String, String> pos = Sql.row(source, d.showBinaryLogStatus());
        for (int i = 1; i < conns.size(); i++) {
            Connection r = conns.get(i);
            Dialect.ChangeSource cs = mode == ReplicationMode.GTID
                    ? Dialect.ChangeSource.gtid(HOST, ports[0], cred.replUser, cred.replPassword)
                    : Dialect.ChangeSource.position(HOST, ports[0], cred.replUser, cred.replPassword, pos.get("File"),
                    Long.parseLong(pos.get("Position")));
            Sql.exec(r, d.changeSource(cs));
            Sql.exec(r, d.startReplica());
            for (String s : d.setReadOnly(true)) {
                Sql.exec(r, s);
            }
        }
    }

    /** Writes on the source (the application schemas) and waits until every replica has applied it. */
    private static void verifyReplication(Dialect d, List<Connection> conns, int timeoutSeconds) throws SQLException {
        Connection source = conns.get(0);
        Sql.exec(source, "CREATE DATABASE IF NOT EXISTS app");
        Sql.exec(source, "CREATE DATABASE IF NOT EXISTS sbtest");
        Map<String, String> pos = Sql.row(source, d.showBinaryLogStatus());
        for (int i = 1; i < conns.size(); i++) {
            Connection r = conns.get(i);
            String res = Sql.scalar(r, d.waitForPosition(pos.get("File"), Long.parseLong(pos.get("Position")), timeoutSeconds));
            Map<String, String> st = Sql.row(r, d.showReplicaStatus());
            boolean running = "Yes".equals(st.get(d.col(ReplicaColumn.IO_RUNNING)))
                    && "Yes".equals(st.get(d.col(ReplicaColumn.SQL_RUNNING)));
            if (res == null || Long.parseLong(res) < 0 || !running) {
                throw new SandboxException("replica db" + (i + 1) + " did not replicate within " + timeoutSeconds + " s: IO "
                        + st.get(d.col(ReplicaColumn.IO_RUNNING)) + " " + st.get(d.col(ReplicaColumn.LAST_IO_ERROR))
                        + ", SQL " + st.get(d.col(ReplicaColumn.SQL_RUNNING)) + " " + st.get(d.col(ReplicaColumn.LAST_SQL_ERROR)));
            }
        }
    }

    private static String liveRole(TopologyFile topo, ServerRecord r) {
        if (topo == null) {
            return "running";
        }
        try (Connection c = Sql.connect(HOST, r.port(), topo.user("root").user(), topo.user("root").password(), 2000)) {
            Dialect d = Dialect.of(Sql.scalar(c, "SELECT VERSION()"));
            Map<String, String> st = Sql.row(c, d.showReplicaStatus());
            boolean readOnly = "1".equals(Sql.scalar(c, "SELECT @@GLOBAL.read_only"));
            if (!st.isEmpty()) {
                return "replica of " + st.get(d.col(ReplicaColumn.SOURCE_HOST)) + ":" + st.get(d.col(ReplicaColumn.SOURCE_PORT))
                        + " (IO " + st.get(d.col(ReplicaColumn.IO_RUNNING)) + ", SQL " + st.get(d.col(ReplicaColumn.SQL_RUNNING)) + ")";
            }
            return readOnly ? "read-only, not replicating" : "source (writable)";
        } catch (SQLException | RuntimeException e) {
            return "running, not answering (" + e.getMessage() + ")";
        }
    }

    static void stopAll(List<ServerRecord> records) {
        Map<Long, String> live = new LinkedHashMap<>();
        for (ServerRecord r : records) {
            long pid = r.livePid();
            if (pid != 0) {
                live.put(pid, r.mark());
            }
        }
        ServerProcess.stopAll(live, STOP_GRACE_MILLIS);
    }

    private static void closeQuietly(Connection c) {
        try {
            c.close();
        } catch (SQLException ignored) {
            // nothing to do
        }
    }

    /** Sleeps, turning an interrupt into a SandboxException (the interrupt flag stays set). */
    public static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted");
        }
    }

    static String password() {
        String chars = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
        StringBuilder sb = new StringBuilder(20);
        for (int i = 0; i < 20; i++) {
            sb.append(chars.charAt(RANDOM.nextInt(chars.length())));
        }
        return sb.toString();
    }

    /** One server as {@code status} reports it. */
    public record ServerState(String name, String host, int port, long pid, boolean running, String role) {
    }

    /** The accounts a topology gets, all with generated passwords. */
    static final class Credentials {
        final String rootPassword = password();
        final String appPassword = password();
        final String sha2Password = password();
        final String monitorPassword = password();
        final String replUser = "repl";
        final String replPassword = password();
        final String adminPassword = password();
        final boolean hasSha2;

        private Credentials(boolean hasSha2) {
            this.hasSha2 = hasSha2;
        }

        static Credentials generate(Flavor f) {
            return new Credentials(f == Flavor.MYSQL80);
        }

        TopologyFile.User root() {
            return new TopologyFile.User("root", rootPassword, null);
        }

        Map<String, TopologyFile.User> users() {
            Map<String, TopologyFile.User> m = new LinkedHashMap<>();
            m.put("app", new TopologyFile.User("app", appPassword, "mysql_native_password"));
            m.put("app_sha2", new TopologyFile.User("app_sha2", sha2Password,
                    hasSha2 ? "caching_sha2_password" : "mysql_native_password"));
            m.put("monitor", new TopologyFile.User("baton", monitorPassword, "mysql_native_password"));
            m.put("replication", new TopologyFile.User(replUser, replPassword, "mysql_native_password"));
            m.put("root", new TopologyFile.User("root", rootPassword, "mysql_native_password"));
            return m;
        }

        /**
         * The init-file run at a server's first start: one statement per line (5.7 requires it),
         * with the binary log off so the accounts create no GTIDs (no errant transactions later).
         */
        String initSql(Flavor f) {
            String native_ = f.isMariaDb() ? "" : " IDENTIFIED WITH mysql_native_password";
            String by = native_.isEmpty() ? " IDENTIFIED BY " : " BY ";
            String sha2 = hasSha2 ? " IDENTIFIED WITH caching_sha2_password BY " : (native_ + by);
            StringBuilder sb = new StringBuilder();
            sb.append("SET sql_log_bin=0;\n");
            user(sb, "root'@'127.0.0.1", native_ + by, rootPassword);
            sb.append("GRANT ALL PRIVILEGES ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION;\n");
            user(sb, "app'@'%", native_ + by, appPassword);
            user(sb, "app_sha2'@'%", sha2, sha2Password);
            for (String db : List.of("app", "sbtest", "test")) {
                sb.append("GRANT ALL PRIVILEGES ON `").append(db).append("`.* TO 'app'@'%';\n");
                sb.append("GRANT ALL PRIVILEGES ON `").append(db).append("`.* TO 'app_sha2'@'%';\n");
            }
            user(sb, "baton'@'%", native_ + by, monitorPassword);
            sb.append("GRANT ALL PRIVILEGES ON *.* TO 'baton'@'%';\n");
            user(sb, replUser + "'@'%", native_ + by, replPassword);
            sb.append("GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO '").append(replUser).append("'@'%';\n");
            sb.append("SET sql_log_bin=1;\n");
            return sb.toString();
        }

        /** CREATE IF NOT EXISTS, then ALTER: MariaDB's install-db already made root@127.0.0.1. */
        private static void user(StringBuilder sb, String quotedUserHost, String identified, String password) {
            sb.append("CREATE USER IF NOT EXISTS '").append(quotedUserHost).append("';\n");
            sb.append("ALTER USER '").append(quotedUserHost).append("'").append(identified)
                    .append("'").append(password).append("';\n");
        }
    }
}
