package io.baton.sandbox;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * {@code DIR/topology.json}: the contract between the sandbox and scripts, tests and benchmarks.
 * Fields are only ever added, never renamed.
 */
@JsonIgnoreProperties(ignoreUnknown = true)
@JsonInclude(JsonInclude.Include.NON_NULL)
public record TopologyFile(String flavor, String mode, String version, String config, List<Server> servers,
                           Map<String, User> users, ProxyPort proxy, Admin admin, Port metrics) {

    public static final String FILE = "topology.json";
    static final ObjectMapper JSON = Fs.JSON;

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Server(String name, String host, int port, String role, long pid, int serverId) {
        public Server withPid(long newPid) {
            return new Server(name, host, port, role, newPid, serverId);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record User(String user, String password, String plugin) {
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Port(int port) {
    }

    /** The proxy's ports: read-write, and the read-only port over the replicas (null or 0: none). */
    @JsonIgnoreProperties(ignoreUnknown = true)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record ProxyPort(int port, Integer readPort) {
        public ProxyPort(int port) {
            this(port, null);
        }
    }

    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Admin(int port, String password) {
    }

    public Server server(String name) {
        return servers.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new SandboxException("no server named '" + name + "' in this topology; servers: "
                        + String.join(", ", servers.stream().map(Server::name).toList())));
    }

    public User user(String key) {
        User u = users.get(key);
        if (u == null) {
            throw new SandboxException("no user '" + key + "' in topology.json");
        }
        return u;
    }

    public static TopologyFile read(Path dir) {
        Path f = dir.resolve(FILE);
        try {
            return JSON.readValue(f.toFile(), TopologyFile.class);
        } catch (IOException e) {
            throw new SandboxException("cannot read " + f + ": " + e.getMessage(), e);
        }
    }

    void write(Path dir) {
        Fs.writeJson(dir.resolve(FILE), this);
    }
}
