package io.baton.admin.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;

/**
 * What one node publishes about itself in its ephemeral znode /baton/&lt;name&gt;/nodes/&lt;nodeId&gt;: where clients
 * reach it, which route record it has applied, and whether it has drained its sessions for a switchover.
 * The znode lives as long as the node's ZooKeeper session: when it is gone, the node's lease has ended.
 *
 * @param appliedEpoch the newest route record this node routes by
 * @param drainedEpoch the epoch (a closed gate) for which this node last finished waiting for its open
 *                     transactions; {@code drained} says whether none was left
 * @param moved        sessions moved, and {@code failed} not moved, by this node's last change of source
 * @param lostSource   the source that last change left ({@code lostEpoch}: the epoch that changed it), and what
 *                     this node's sessions got there: {@code inFlight} counts per fate and replay outcome, and
 *                     {@code lostSessions} one line per session (at most {@link #LOST_SESSION_LINES}), which the
 *                     leader adds to its failover report
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record MemberStatus(String nodeId, String proxy, String admin, String metrics, long appliedEpoch,
                           long drainedEpoch, boolean drained, boolean gateOpen, boolean fenced, String gateReason,
                           int sessions, int moved, int failed, long pauseMillis, long leaseRemainingMillis,
                           long updatedAtMillis, String lostSource, long lostEpoch,
                           java.util.Map<String, Long> inFlight, java.util.List<String> lostSessions) {
    /** A node's session lines in its status (the znode stays small; the node's log has every line). */
    public static final int LOST_SESSION_LINES = 50;
}
