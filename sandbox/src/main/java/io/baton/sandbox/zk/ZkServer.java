package io.baton.sandbox.zk;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.baton.sandbox.Fs;
import io.baton.sandbox.ServerProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * One ZooKeeper server of an ensemble, as {@code DIR/zkN/server.json}: written before the server is
 * started and again with its PID right after, so status/down find every server from these alone,
 * even after an interrupted 'up'. Its files: {@code zoo.cfg}, {@code logback.xml}, {@code server.log}
 * and {@code data/} (with {@code myid}) beside server.json.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record ZkServer(int id, int clientPort, int quorumPort, int electionPort, String home, List<String> command, long pid) {

    static final String RECORD = "server.json";
    /** The server folders, DIR/zkN. */
    static final String HOMES = "zk\\d+";

    static String name(int id) {
        return "zk" + id;
    }

    String name() {
        return name(id);
    }

    ZkServer withPid(long newPid) {
        return new ZkServer(id, clientPort, quorumPort, electionPort, home, command, newPid);
    }

    ZkServer withCommand(List<String> newCommand) {
        return new ZkServer(id, clientPort, quorumPort, electionPort, home, List.copyOf(newCommand), pid);
    }

    Path homePath() {
        return Path.of(home);
    }

    Path config() {
        return homePath().resolve("zoo.cfg");
    }

    Path dataDir() {
        return homePath().resolve("data");
    }

    /** Where the server's logback writes, and its JVM's stdout and stderr too. */
    Path log() {
        return homePath().resolve("server.log");
    }

    Path logbackConfig() {
        return homePath().resolve("logback.xml");
    }

    /** The config file, as the last argument of the server's command line: only this server has it. */
    String mark() {
        return " " + config() + " ";
    }

    /** The PID while the server we started runs, else 0 (a reused PID is not ours). */
    long livePid() {
        return ServerProcess.isOurs(pid, mark()) ? pid : 0;
    }

    void write() {
        Fs.writeJson(homePath().resolve(RECORD), this);
    }

    /** The servers recorded under DIR, by id. */
    static List<ZkServer> scan(Path dir) {
        List<ZkServer> out = new ArrayList<>(Fs.readRecords(dir, HOMES, RECORD, ZkServer.class));
        out.sort(Comparator.comparingInt(ZkServer::id));
        return out;
    }

    /** A server folder, DIR/zkN (also one an interrupted 'up' made before writing its record). */
    static boolean isHome(Path p) {
        return Files.isDirectory(p) && p.getFileName().toString().matches(HOMES);
    }
}
