package io.baton.admin.failover;

import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.TopologySnapshot;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The last state of each server seen reachable by the monitor. A snapshot holds one observation, so
 * once the source is dead it says nothing of what the source had executed; a failover needs that to
 * tell a replica's errant transactions from the source's own.
 */
final class LastSeen {
    private final Map<String, ServerState> states = new ConcurrentHashMap<>();

    /** Keeps the state of every reachable server of the snapshot. */
    void record(TopologySnapshot snapshot) {
        for (ServerState s : snapshot.servers()) {
            if (s.reachable()) {
                states.put(s.name(), s);
            }
        }
    }

    /** The server as last seen reachable, if ever. */
    Optional<ServerState> of(String name) {
        return Optional.ofNullable(states.get(name));
    }
}
