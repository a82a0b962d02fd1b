package io.baton.admin.cluster;

/** A cluster node cannot start or join: the message says why in one line (bad ensemble, conflicting cluster). */
public final class ClusterException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    public ClusterException(String message) {
        super(message);
    }
}
