package io.baton.proxy;

import java.util.concurrent.CompletableFuture;

/**
 * durability.mode replica: a commit's OK reaches the client only once enough replicas have the
 * transaction. The proxy learns each commit's GTID from its OK packet (the session tracker) and asks
 * here; the answer completes on any thread and the session posts it back to its event loop.
 */
public interface CommitAcks {

    /** What the client gets for a held OK. */
    enum Outcome {
        /** Enough replicas have the transaction: the OK goes to the client. */
        ACKNOWLEDGED,
        /** No replica answered within durability.timeout and onTimeout is async: the OK goes, unprotected. */
        RELEASED_UNACKNOWLEDGED,
        /** No replica answered within the bound (onTimeout hold): the client gets an error, outcome unknown. */
        UNKNOWN
    }

    /**
     * Waits (bounded) until enough servers other than {@code server} (where it committed) have {@code gtid}
     * (received or executed, as configured): MySQL {@code uuid:n}, MariaDB {@code domain-server-seq}.
     */
    CompletableFuture<Outcome> acknowledged(String server, String gtid);
}
