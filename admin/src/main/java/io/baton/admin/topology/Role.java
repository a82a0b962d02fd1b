package io.baton.admin.topology;

/** What a server is in the topology, as the monitor last saw it. */
public enum Role {
    /** Writable and replicating from nobody. */
    SOURCE,
    /** Configured to replicate from a source (threads running or not). */
    REPLICA,
    /** Reachable, read-only, replicating from nobody: an old source fenced off, or a server waiting to rejoin. */
    FENCED,
    /** Not reachable at the last check. */
    UNKNOWN
}
