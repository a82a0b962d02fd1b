package io.baton.proxy.routing;

import java.time.Duration;

/**
 * The proxy's small port to the rest of Baton: where client sessions are routed, and the gate that
 * holds new statements while the source changes. The proxy knows nothing of replication; the failover
 * engine in admin drives it through this interface only.
 */
public interface RoutingControl {

    /** The server new backend connections go to, or null while there is none. */
    Endpoint source();

    /**
     * Closes the gate at statement boundaries: statements already running finish, new ones wait
     * (each at most {@code gate.maxWait}, then they get an ERR saying why).
     */
    void closeGate(String reason);

    /**
     * {@link #closeGate} for a failover from {@code lostSource}: where Baton runs on several nodes, each node also holds
     * the OKs of commits made there (durability.mode replica) from the moment it applies the closed gate, as the node
     * that runs the failover does (docs/durability.md). Alone, the same as closeGate.
     */
    default void closeGate(String reason, String lostSource) {
        closeGate(reason);
    }

    /** Opens the gate: waiting statements proceed on the current source. */
    void openGate();

    boolean isGateOpen();

    /**
     * Says what the running procedure is about to do to the source ({@code kind} "switchover" or "failover", from
     * {@code oldSource} to {@code target}) before it makes the old source read-only or promotes, so that whoever
     * decides after this process (a cluster's next leader) can finish it if this process dies in its middle. Kept
     * until the gate opens or the source changes; a null {@code kind} drops it. Standalone: nothing to keep.
     */
    default void intend(String kind, String oldSource, String target) {
    }

    /**
     * Routes to a new source and moves every client session's backend connection there. Returns
     * once every session has been moved or told why it could not be (bounded by {@code timeout}).
     */
    MigrationSummary switchTo(Endpoint newSource, Duration timeout);

    /**
     * {@link #switchTo} then {@link #openGate}, as one change where the routing can make it one: a cluster writes
     * one record, and each node opens its gate as soon as its own sessions are on the new source instead of
     * waiting for the slowest node. Only for a switchover's routing step: the old source is read-only by then, so
     * no route can reach a second writable server.
     */
    default MigrationSummary switchToAndOpen(Endpoint newSource, Duration timeout) {
        MigrationSummary m = switchTo(newSource, timeout);
        openGate();
        return m;
    }

    /**
     * Waits (bounded) until no session is inside a transaction or running a statement; true if none
     * is. With the gate closed no new one starts, so switchover calls this before the old source is
     * made read-only.
     */
    boolean awaitNoOpenTransactions(Duration timeout);

    /**
     * What the sessions' statements in flight got when their connections to {@code server} were lost, since the
     * last time this was asked (asking forgets them): per fate (rerun, rolled_back, rolled_back_as_asked, unknown),
     * how many. Empty where the sessions are not this process's.
     */
    default java.util.Map<String, Long> inFlightLostAt(String server) {
        return java.util.Map.of();
    }

    /**
     * As {@link #inFlightLostAt}, one line per session: "session 12 user 'app': its open transaction replayed on the
     * new source" (asking forgets them; bounded). Empty where the sessions are not this process's.
     */
    default java.util.List<String> sessionsLostAt(String server) {
        return java.util.List.of();
    }

    /** Outcome of a switch: how many sessions moved, and how many failed (each failure is logged with its reason). */
    record MigrationSummary(int moved, int failed, long pauseMillis) {
    }
}
