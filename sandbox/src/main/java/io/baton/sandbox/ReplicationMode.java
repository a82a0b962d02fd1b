package io.baton.sandbox;

/** How replicas find their place in the source's binary log. */
public enum ReplicationMode {
    /** GTID auto-positioning; replicas log replicated events (log_replica_updates ON). */
    GTID("gtid"),
    /** Binary-log file/position; replicas do not log replicated events, as the manual's failover expects. */
    POSITION("position");

    private final String id;

    ReplicationMode(String id) {
        this.id = id;
    }

    public String id() {
        return id;
    }

    public static ReplicationMode parse(String s) {
        for (ReplicationMode m : values()) {
            if (m.id.equalsIgnoreCase(s.trim())) {
                return m;
            }
        }
        throw new SandboxException("unknown mode '" + s + "'; use gtid or position");
    }

    @Override
    public String toString() {
        return id;
    }
}
