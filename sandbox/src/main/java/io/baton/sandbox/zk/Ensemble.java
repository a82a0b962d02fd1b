package io.baton.sandbox.zk;

import io.baton.sandbox.Fs;
import io.baton.sandbox.LoopbackPorts;
import io.baton.sandbox.Sandbox;
import io.baton.sandbox.SandboxException;
import io.baton.sandbox.ServerProcess;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A real ZooKeeper ensemble on one machine: N servers as separate JVMs on loopback, each with its
 * own folder {@code DIR/zkN/}; {@code DIR/ensemble.json} describes the whole for scripts and tests
 * (see {@link EnsembleFile}). A handle ({@link #up}, {@link #open}) also stops, kills, pauses and
 * restarts single servers for failure tests; closing it stops and purges the ensemble.
 */
public final class Ensemble implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(Ensemble.class);
    /** Below the ephemeral range, so a port stays free for its server's restart (see LoopbackPorts). */
    private static final int FIRST_PORT = 21810;
    /** ZooKeeper shuts down in well under a second; a server that does not is killed. */
    private static final long STOP_GRACE_MILLIS = 10_000;

    private final Path dir;
    private final int startTimeoutSeconds;

    private Ensemble(Path dir, int startTimeoutSeconds) {
        this.dir = dir;
        this.startTimeoutSeconds = startTimeoutSeconds;
    }

    /**
     * Starts the servers and returns once the ensemble has a leader and every server serves; then
     * writes DIR/ensemble.json. On any failure the servers started so far are stopped again.
     */
    public static Ensemble up(EnsembleOptions o) {
        Path dir = o.dir().toAbsolutePath().normalize();
        refuseOccupied(dir);
        List<ZkServer> planned = plan(dir, o);
        List<ZkServer> started = new CopyOnWriteArrayList<>();
        Thread onInterrupt = new Thread(() -> stopAll(started), "zk-up-interrupted");
        Runtime.getRuntime().addShutdownHook(onInterrupt);
        long t0 = System.nanoTime();
        try {
            for (ZkServer s : planned) {
                ServerFiles.write(s, planned);
                s.write(); // first, so that status/down know this server whatever happens next
                ZkServer rec = s.withPid(ServerProcess.spawn(s.command(), s.log()));
                rec.write();
                started.add(rec);
            }
            Map<Integer, String> modes = Readiness.awaitEnsemble(started, o.startTimeoutSeconds());
            EnsembleFile.of(started).write(dir);
            log.info("ZooKeeper ensemble {} of {} server(s) is up in {} ms: {}", dir, started.size(),
                    (System.nanoTime() - t0) / 1_000_000, modes);
            return new Ensemble(dir, o.startTimeoutSeconds());
        } catch (IOException | RuntimeException e) {
            stopAll(started);
            String msg = e instanceof SandboxException ? e.getMessage() : e.toString();
            throw new SandboxException(msg + (started.isEmpty() ? "" : " (servers stopped; their logs are "
                    + dir.resolve("zk<N>/server.log") + ")"), e);
        } finally {
            try {
                Runtime.getRuntime().removeShutdownHook(onInterrupt);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already
            }
        }
    }

    /** A handle on an ensemble that runs already (e.g. one started by {@code ./baton zk up}). */
    public static Ensemble open(Path dir) {
        Path d = dir.toAbsolutePath().normalize();
        EnsembleFile.read(d);
        return new Ensemble(d, EnsembleOptions.DEFAULT_START_TIMEOUT_SECONDS);
    }

    /** One line per server: id, client port, PID, whether it runs, and its mode. */
    public static List<ServerState> status(Path dir) {
        List<ServerState> out = new ArrayList<>();
        for (ZkServer s : records(dir.toAbsolutePath().normalize())) {
            long pid = s.livePid();
            String mode = pid == 0 ? "down"
                    : ServerProcess.isStopped(pid) ? "paused"
                    : FourLetterWords.mode(s.clientPort(), 1000);
            out.add(new ServerState(s.id(), LoopbackPorts.HOST, s.clientPort(), pid, pid != 0, mode));
        }
        return out;
    }

    /** Stops every server (SIGTERM, then SIGKILL after a grace period); deletes what 'up' made with purge. */
    public static void down(Path dir, boolean purge) {
        dir = dir.toAbsolutePath().normalize();
        stopAll(records(dir));
        if (purge) {
            try {
                try (var homes = Files.list(dir)) {
                    for (Path home : homes.filter(ZkServer::isHome).toList()) {
                        Fs.deleteTree(home);
                    }
                }
                Files.deleteIfExists(dir.resolve(EnsembleFile.FILE));
                try (var rest = Files.list(dir)) {
                    if (rest.findAny().isEmpty()) {
                        Files.delete(dir);
                    }
                }
            } catch (IOException e) {
                throw new SandboxException("servers stopped, but purging " + dir + " failed: " + e.getMessage(), e);
            }
        }
    }

    public Path dir() {
        return dir;
    }

    /** DIR/ensemble.json as it is now (PIDs change when a server is restarted). */
    public EnsembleFile file() {
        return EnsembleFile.read(dir);
    }

    /** For ZooKeeper and Curator clients: {@code 127.0.0.1:p1,127.0.0.1:p2,...}. */
    public String connectString() {
        return file().connectString();
    }

    public List<Integer> ids() {
        return records(dir).stream().map(ZkServer::id).toList();
    }

    /** The server's role as it answers {@code srvr} now: leader, follower, standalone, or why not. */
    public String mode(int id) {
        return FourLetterWords.mode(record(id).clientPort(), 1000);
    }

    /** The id of the server that leads now (a single server leads itself). */
    public int leader() {
        for (ZkServer s : records(dir)) {
            String m = FourLetterWords.mode(s.clientPort(), 1000);
            if (m.equals(FourLetterWords.LEADER) || m.equals(FourLetterWords.STANDALONE)) {
                return s.id();
            }
        }
        throw new SandboxException("no server of " + dir + " leads now");
    }

    /** kill -9 of one server: it gets no chance to shut down. Returns its PID. */
    public long kill(int id) {
        ZkServer s = running(id);
        ServerProcess.kill(s.pid(), s.mark());
        log.info("killed {} (pid {})", s.name(), s.pid());
        return s.pid();
    }

    /** SIGSTOP of one server: it keeps its sockets but answers nothing, like a hung host. */
    public void pause(int id) {
        ZkServer s = running(id);
        ServerProcess.signal(s.pid(), s.mark(), "STOP");
        log.info("paused {} (pid {})", s.name(), s.pid());
    }

    /** SIGCONT of a paused server. */
    public void resume(int id) {
        ZkServer s = running(id);
        ServerProcess.signal(s.pid(), s.mark(), "CONT");
        log.info("resumed {} (pid {})", s.name(), s.pid());
    }

    /**
     * Restarts a stopped server on its ports and data, and returns its new PID once it serves again
     * (rejoined as follower, or leader). Updates DIR/ensemble.json.
     */
    public long start(int id) {
        ZkServer s = record(id);
        if (s.livePid() != 0) {
            throw new SandboxException(s.name() + " is already running (pid " + s.pid() + ")");
        }
        for (int port : new int[] {s.clientPort(), s.quorumPort(), s.electionPort()}) {
            for (int i = 0; i < 100 && !LoopbackPorts.isFree(port); i++) {
                Sandbox.sleep(100); // a server that just exited may hold its port for a moment
            }
            LoopbackPorts.requireFree(port, "restart " + s.name() + " once it is free");
        }
        try {
            ZkServer rec = s.withPid(ServerProcess.spawn(s.command(), s.log()));
            rec.write();
            EnsembleFile.of(records(dir)).write(dir);
            String mode = Readiness.awaitServing(rec, startTimeoutSeconds);
            log.info("started {} (pid {}): {}", rec.name(), rec.pid(), mode);
            return rec.pid();
        } catch (IOException e) {
            throw new SandboxException("could not start " + s.name() + ": " + e.getMessage(), e);
        }
    }

    /** Stops and purges the ensemble. */
    @Override
    public void close() {
        down(dir, true);
    }

    // ----------------------------------------------------------------------------------------------

    private static List<ZkServer> plan(Path dir, EnsembleOptions o) {
        int n = o.nodes();
        int[] ports;
        if (o.basePort() == 0) {
            ports = LoopbackPorts.freeFrom(FIRST_PORT, 3 * n);
        } else {
            ports = new int[3 * n];
            for (int i = 0; i < ports.length; i++) {
                ports[i] = o.basePort() + i;
                LoopbackPorts.requireFree(ports[i], "choose another base port, or none to pick free ports");
            }
        }
        List<ZkServer> servers = new ArrayList<>();
        for (int id = 1; id <= n; id++) {
            int p = 3 * (id - 1);
            ZkServer s = new ZkServer(id, ports[p], ports[p + 1], ports[p + 2],
                    dir.resolve(ZkServer.name(id)).toString(), List.of(), 0);
            servers.add(s.withCommand(ServerFiles.command(s, o.classpath())));
        }
        return servers;
    }

    private static void refuseOccupied(Path dir) {
        if (!Files.isDirectory(dir)) {
            if (Files.exists(dir)) {
                throw new SandboxException(dir + " exists and is not a directory; choose another --dir");
            }
            return;
        }
        List<ZkServer> records = ZkServer.scan(dir);
        String running = records.stream().filter(s -> s.livePid() != 0)
                .map(s -> s.name() + " (pid " + s.pid() + ")").collect(Collectors.joining(", "));
        if (!running.isEmpty()) {
            throw new SandboxException(dir + " holds a running ZooKeeper ensemble: " + running
                    + "; stop it with './baton zk down --dir " + dir + "' or choose another --dir");
        }
        if (!records.isEmpty() || Files.exists(dir.resolve(EnsembleFile.FILE))) {
            throw new SandboxException(dir + " holds a stopped ZooKeeper ensemble; remove it with './baton zk down --dir "
                    + dir + " --purge' or choose another --dir");
        }
    }

    private static List<ZkServer> records(Path dir) {
        if (!Files.isDirectory(dir)) {
            throw new SandboxException(dir + " does not exist" + (Files.exists(dir) ? " as a directory" : ""));
        }
        List<ZkServer> records = ZkServer.scan(dir);
        if (records.isEmpty()) {
            throw new SandboxException(dir + " holds no ZooKeeper ensemble (no " + dir.resolve("zk<N>/" + ZkServer.RECORD) + ")");
        }
        return records;
    }

    private ZkServer record(int id) {
        List<ZkServer> records = records(dir);
        return records.stream().filter(s -> s.id() == id).findFirst()
                .orElseThrow(() -> new SandboxException("no server " + id + " in " + dir + "; ids: "
                        + records.stream().map(s -> String.valueOf(s.id())).collect(Collectors.joining(", "))));
    }

    private ZkServer running(int id) {
        ZkServer s = record(id);
        if (s.livePid() == 0) {
            throw new SandboxException(s.name() + " is not running");
        }
        return s;
    }

    private static void stopAll(List<ZkServer> servers) {
        Map<Long, String> live = new LinkedHashMap<>();
        for (ZkServer s : servers) {
            if (s.livePid() != 0) {
                live.put(s.pid(), s.mark());
            }
        }
        ServerProcess.stopAll(live, STOP_GRACE_MILLIS);
    }

    /** One server as {@code status} reports it. */
    public record ServerState(int id, String host, int port, long pid, boolean alive, String mode) {
    }
}
