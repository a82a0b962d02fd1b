package io.baton.admin.topology;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The whole topology at one monitor round: every configured server's state, in configuration
 * order, and which server is the source. Immutable: readers never see a half-updated view.
 *
 * @param electedSource the source Baton routes to (set by the engine), or null if not yet known
 */
public record TopologySnapshot(Instant takenAt, List<ServerState> servers, String electedSource) {

    public TopologySnapshot {
        servers = List.copyOf(servers);
    }

    public Optional<ServerState> server(String name) {
        return servers.stream().filter(s -> s.name().equals(name)).findFirst();
    }

    public Optional<ServerState> byAddress(String host, int port) {
        return servers.stream().filter(s -> s.port() == port && ServerState.sameHost(s.host(), host)).findFirst();
    }

    /** The source: the elected one when known, otherwise what the servers say ({@link #discoverSource}). */
    public Optional<ServerState> source() {
        if (electedSource != null) {
            return server(electedSource);
        }
        return discoverSource();
    }

    /**
     * The source as the servers describe it: the one writable server that replicates from nobody;
     * otherwise (it may be down) the server most replicas replicate from.
     */
    public Optional<ServerState> discoverSource() {
        List<ServerState> writable = servers.stream().filter(s -> s.writable() && s.replica() == null).toList();
        if (writable.size() == 1) {
            return Optional.of(writable.get(0));
        }
        Map<String, Integer> votes = new HashMap<>();
        for (ServerState s : servers) {
            if (s.replica() != null) {
                byAddress(s.replica().sourceHost(), s.replica().sourcePort())
                        .ifPresent(src -> votes.merge(src.name(), 1, Integer::sum));
            }
        }
        return votes.entrySet().stream().max(Map.Entry.comparingByValue()).flatMap(e -> server(e.getKey()));
    }

    /** Reachable servers configured to replicate from the given one. */
    public List<ServerState> replicasOf(ServerState source) {
        List<ServerState> out = new ArrayList<>();
        for (ServerState s : servers) {
            if (s.reachable() && s.replicatesFrom(source.host(), source.port())) {
                out.add(s);
            }
        }
        return out;
    }

    /** Reachable servers that accept application writes. */
    public List<ServerState> writable() {
        return servers.stream().filter(ServerState::writable).toList();
    }

    /** Replicas a source reports (SHOW REPLICAS) that are not in the configuration, as host:port. */
    public List<String> unconfiguredReplicas() {
        List<String> out = new ArrayList<>();
        for (ServerState s : servers) {
            for (String addr : s.replicasSeen()) {
                int colon = addr.lastIndexOf(':');
                String host = addr.substring(0, colon);
                int port = Integer.parseInt(addr.substring(colon + 1));
                if (byAddress(host, port).isEmpty() && !out.contains(addr)) {
                    out.add(addr);
                }
            }
        }
        return out;
    }

    /** Multi-line text: one line per server. */
    public String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append("topology at ").append(takenAt).append(", source: ")
                .append(source().map(ServerState::name).orElse("unknown")).append('\n');
        for (ServerState s : servers) {
            sb.append("  ").append(s.summary()).append('\n');
        }
        List<String> extra = unconfiguredReplicas();
        if (!extra.isEmpty()) {
            sb.append("  replicas seen but not configured: ").append(String.join(", ", extra)).append('\n');
        }
        return sb.toString();
    }
}
