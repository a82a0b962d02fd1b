package io.baton.admin.cluster;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.util.List;

/**
 * The one truth of a Baton cluster, in the znode /baton/&lt;name&gt;/route: where every node routes, whether the
 * cluster-wide gate is open, and the anti-flapping state a new leader takes over. Written only by the leader,
 * in a transaction that checks the leader's election znode and the record's version; {@code epoch} grows by
 * one with every change of route or gate, and a node applies a record only if its epoch is newer than the
 * last it applied.
 *
 * @param epoch              grows by one with each change of source or gate
 * @param source             the routed server's name; host and port as configured
 * @param gateOpen           false while a failover, switchover or PAUSE holds new statements on every node
 * @param lastFailoverMillis when the source last changed hands (failover.blockSeconds counts from here)
 * @param lastReport         the last procedure's headline, for a leader that did not run it
 * @param leader             the node that wrote this record
 * @param servers            the topology this cluster routes (name@host:port, sorted): two configurations
 *                           that disagree cannot share one cluster name
 * @param intent             what the leader's running procedure is about to do to the source (null when none):
 *                           written before the old source is made read-only or a candidate is promoted, cleared
 *                           by the record that routes to the new source or opens the gate, so that a successor
 *                           can finish a procedure whose leader died in its middle
 * @param fenced             the source a failover under way replaces (null: none), from the record that closes the gate
 *                           for it until the one that routes elsewhere or opens the gate: each node holds the OKs of
 *                           commits made there meanwhile (durability.mode replica, docs/durability.md)
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record RouteRecord(long epoch, String source, String host, int port, boolean gateOpen, String gateReason,
                          long lastFailoverMillis, String lastReport, String leader, List<String> servers,
                          long writtenAtMillis, Intent intent, String fenced) {

    /** A procedure's plan: {@code kind} "switchover" or "failover", from {@code oldSource} to {@code target}. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record Intent(String kind, String oldSource, String target, String leader, long atMillis) {
    }

    RouteRecord withSource(String name, String h, int p, long failoverAt) {
        return new RouteRecord(epoch + 1, name, h, p, gateOpen, gateReason, failoverAt, lastReport, leader, servers,
                writtenAtMillis, intent, null);
    }

    /** A new source and the gate open in one epoch: each node opens once its own sessions are there. */
    RouteRecord withSourceOpen(String name, String h, int p, long failoverAt) {
        return new RouteRecord(epoch + 1, name, h, p, true, "", failoverAt, lastReport, leader, servers, writtenAtMillis,
                null, null);
    }

    RouteRecord withGate(boolean open, String reason) {
        return new RouteRecord(epoch + 1, source, host, port, open, open ? "" : reason, lastFailoverMillis, lastReport,
                leader, servers, writtenAtMillis, open ? null : intent, open ? null : fenced);
    }

    /** The gate closed for a failover from {@code lostSource}, which every node fences as it applies this record. */
    RouteRecord withGateFencing(String reason, String lostSource) {
        return new RouteRecord(epoch + 1, source, host, port, false, reason, lastFailoverMillis, lastReport, leader,
                servers, writtenAtMillis, intent, lostSource);
    }

    /** The same route (same epoch) with the last report's headline. */
    RouteRecord withReport(String headline) {
        return new RouteRecord(epoch, source, host, port, gateOpen, gateReason, lastFailoverMillis, headline, leader,
                servers, writtenAtMillis, intent, fenced);
    }

    RouteRecord writtenBy(String node, long at) {
        return new RouteRecord(epoch, source, host, port, gateOpen, gateReason, lastFailoverMillis, lastReport, node,
                servers, at, intent, fenced);
    }

    /** The same route (same epoch: no node's routing changes) with a procedure's plan, or without one (null). */
    RouteRecord withIntent(Intent plan) {
        return new RouteRecord(epoch, source, host, port, gateOpen, gateReason, lastFailoverMillis, lastReport, leader,
                servers, writtenAtMillis, plan, fenced);
    }
}
