package io.baton.sandbox;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * {@code DIR/<name>/server.json}, written before the server is started and updated with its PID
 * right after: status/down find every server from these alone, even after an interrupted 'up'.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
record ServerRecord(String name, int port, int serverId, String datadir, List<String> command, long pid) {

    ServerRecord withPid(long newPid) {
        return new ServerRecord(name, port, serverId, datadir, command, newPid);
    }

    Path datadirPath() {
        return Path.of(datadir);
    }

    /** What only this server's command line holds (see {@link ServerProcess}). */
    String mark() {
        return ServerProcess.datadirMark(datadirPath());
    }

    ServerFlags.ServerLayout layout() {
        return new ServerFlags.ServerLayout(Path.of(datadir).getParent());
    }

    /** The PID of the live server: the one mysqld wrote, else the one recorded at spawn. */
    long livePid() {
        ServerFlags.ServerLayout l = layout();
        try {
            if (Files.isRegularFile(l.pidFile())) {
                long p = Long.parseLong(Files.readString(l.pidFile()).trim());
                if (ServerProcess.isOurs(p, datadirPath())) {
                    return p;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // fall through to the recorded PID
        }
        return ServerProcess.isOurs(pid, datadirPath()) ? pid : 0;
    }

    void write(Path home) {
        Fs.writeJson(home.resolve("server.json"), this);
    }

    /** The server folders, DIR/dbN: a ZooKeeper ensemble's DIR/zkN beside them are not ours. */
    static final String HOMES = "db\\d+";

    static List<ServerRecord> scan(Path dir) {
        return Fs.readRecords(dir, HOMES, "server.json", ServerRecord.class);
    }
}
