package io.baton.admin.topology;

import java.util.ArrayList;
import java.util.List;

/**
 * Whether the source is dead, from one snapshot: only after {@code failedChecks} consecutive failed
 * checks AND confirmation by its replicas (their IO threads lost it). A source that answers, even
 * slowly, is alive; a source only Baton cannot reach (network between Baton and the source) is
 * not dead while a replica still receives from it.
 */
public record SourceHealth(Verdict verdict, String source, String reason) {

    public enum Verdict {
        /** The last check succeeded. */
        ALIVE,
        /** Checks fail, but fewer than failedChecks in a row, or the replicas do not confirm. */
        SUSPECT,
        /** failedChecks failed checks in a row, confirmed by the replicas: fail over. */
        DEAD,
        /** No source is known. */
        UNKNOWN
    }

    public static SourceHealth assess(TopologySnapshot snapshot, int failedChecks) {
        ServerState src = snapshot.source().orElse(null);
        if (src == null) {
            return new SourceHealth(Verdict.UNKNOWN, null, "no source known");
        }
        if (src.reachable()) {
            return new SourceHealth(Verdict.ALIVE, src.name(), "answered in " + src.checkMillis() + " ms");
        }
        if (src.consecutiveFailures() < failedChecks) {
            return new SourceHealth(Verdict.SUSPECT, src.name(),
                    src.consecutiveFailures() + " of " + failedChecks + " checks failed: " + src.error());
        }
        List<String> confirm = new ArrayList<>();
        List<String> deny = new ArrayList<>();
        for (ServerState r : snapshot.replicasOf(src)) {
            ReplicaStatus st = r.replica();
            if (st.lostSource()) {
                confirm.add(r.name() + " (IO " + st.ioRunning() + (st.lastIoErrno() != 0 ? ", error " + st.lastIoErrno() : "") + ")");
            } else if (st.ioThreadRunning()) {
                deny.add(r.name());
            }
        }
        if (!deny.isEmpty()) {
            return new SourceHealth(Verdict.SUSPECT, src.name(), "unreachable from Baton, but " + String.join(", ", deny)
                    + " still receive(s) from it");
        }
        if (confirm.isEmpty()) {
            return new SourceHealth(Verdict.SUSPECT, src.name(), src.consecutiveFailures()
                    + " failed checks, but no reachable replica confirms that it lost the source");
        }
        return new SourceHealth(Verdict.DEAD, src.name(), src.consecutiveFailures() + " failed checks (" + src.error()
                + "); confirmed by " + String.join(", ", confirm));
    }
}
