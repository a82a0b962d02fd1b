package io.baton.admin.failover;

import io.baton.admin.topology.ServerState;

/**
 * The writes whose OK reached a client under durability.mode replica. A failover checks its candidate
 * against them: a replica that lacks one is never chosen while another has them all, and the report says
 * how many were checked.
 */
public interface AckedWrites {

    /** How many acknowledged commits there are to check. */
    long count();

    /** What of them {@code server} lacks (as a GTID set or MariaDB position), or "" when it has them all. */
    String missingFrom(ServerState server);

    /**
     * A failover promoted {@code source}: what it lacks was lost with the old source (the report said so) and is no
     * longer checked, or every later failover would find no replica complete and check nothing at all.
     */
    void settle(ServerState source);
}
