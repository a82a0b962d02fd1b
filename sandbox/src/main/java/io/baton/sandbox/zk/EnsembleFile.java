package io.baton.sandbox.zk;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import io.baton.sandbox.Fs;
import io.baton.sandbox.LoopbackPorts;
import io.baton.sandbox.SandboxException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;

/**
 * {@code DIR/ensemble.json}: the contract between {@code zk up} and scripts, tests and Baton nodes.
 * {@code connectString} and each server's {@code id}, {@code port} (client port) and {@code pid} are
 * the promised keys; the others are extras. Fields are only ever added, never renamed. Written once
 * the ensemble has a leader and every server serves, and again when a server is restarted.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonPropertyOrder({"connectString", "servers", "tickTime"})
public record EnsembleFile(String connectString, List<Server> servers, int tickTime) {

    public static final String FILE = "ensemble.json";

    /** One server: client port, PID, and where its quorum listens and its files are. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonPropertyOrder({"id", "port", "pid", "host", "quorumPort", "electionPort", "dataDir", "log"})
    public record Server(int id, int port, long pid, String host, int quorumPort, int electionPort, String dataDir,
                         String log) {
    }

    static EnsembleFile of(List<ZkServer> servers) {
        List<Server> out = servers.stream().map(s -> new Server(s.id(), s.clientPort(), s.pid(), LoopbackPorts.HOST,
                s.quorumPort(), s.electionPort(), s.dataDir().toString(), s.log().toString())).toList();
        String connect = out.stream().map(s -> s.host() + ":" + s.port()).collect(Collectors.joining(","));
        return new EnsembleFile(connect, out, ServerFiles.TICK_MILLIS);
    }

    public Server server(int id) {
        return servers.stream().filter(s -> s.id() == id).findFirst()
                .orElseThrow(() -> new SandboxException("no server " + id + " in this ensemble; ids: "
                        + servers.stream().map(s -> String.valueOf(s.id())).collect(Collectors.joining(", "))));
    }

    public static EnsembleFile read(Path dir) {
        Path f = dir.resolve(FILE);
        if (!Files.isRegularFile(f)) {
            throw new SandboxException(dir + " holds no running ZooKeeper ensemble (no " + f + ")");
        }
        try {
            return Fs.JSON.readValue(f.toFile(), EnsembleFile.class);
        } catch (IOException e) {
            throw new SandboxException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    void write(Path dir) {
        Fs.writeJson(dir.resolve(FILE), this);
    }
}
