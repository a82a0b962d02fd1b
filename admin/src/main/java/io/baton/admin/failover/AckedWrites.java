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

    /**
     * A failover from {@code lostSource} is under way (from its closed gate to its end): no OK of a commit made there is
     * released on a replica's word until it ends, since the replica that has it may be the one the failover leaves
     * out. Once Baton routes to the new source, only that source having the commit releases its OK.
     */
    default void fence(String lostSource) {
    }

    /** The failover ended (routed, or stopped): OKs held by {@link #fence} are decided again. */
    default void unfence() {
    }

    /**
     * A cluster's route record says a failover from {@code lostSource} is under way (null: no longer): held as by
     * {@link #fence}, apart from the fence of this node's own procedures, which neither lifts the other.
     */
    default void fenceRecorded(String lostSource) {
    }
}
