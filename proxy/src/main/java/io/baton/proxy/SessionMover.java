package io.baton.proxy;

import io.baton.protocol.MySqlError;
import io.baton.proxy.routing.Endpoint;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Moves a session between servers, on its event loop: to a new source when the route changes
 * ({@link #moveTo}), to the current source when its backend was lost ({@link #reconnect}), and holds its
 * next statement while the {@link Gate} is closed ({@link #park}). A move opens a backend as the same
 * user, lets {@link SessionReplay} rebuild the session's state on it, then swaps it in; a statement under
 * way defers the move to the end of its response. Phase MIGRATING while a backend is being prepared.
 */
final class SessionMover {
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    /** How soon a session without a backend (or without a source to route to) looks again. */
    private static final long RETRY_MILLIS = 100;

    private final ClientSession s;
    /** A move requested while a statement ran: done when its response completes. */
    private Endpoint moveAfterResponse;
    private CompletableFuture<Boolean> moveDone;
    /** Each move attempt's number: a newer one supersedes a pending one, whose result is then dropped. */
    private int moveGeneration;
    /** The backend being prepared by a move, and the move's result. */
    private BackendConnection moving;
    private CompletableFuture<Boolean> movingDone;
    /** Until when a held statement waits for a backend (0: not waiting). */
    private long reconnectDeadline;
    private Gate.Waiter gateWaiter;

    SessionMover(ClientSession session) {
        this.s = session;
    }

    /**
     * Moves this session's backend to {@code target} (on this session's event loop): a new backend as
     * the same user, the session's state replayed on it, then the old one closed. A session with a
     * statement running moves as soon as its response is complete; one inside a transaction is told
     * at its next statement that the transaction was rolled back; one holding state that cannot move
     * is told why and closed.
     */
    CompletableFuture<Boolean> moveTo(Endpoint target, String why) {
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        s.ch.eventLoop().execute(() -> {
            ClientSession.Phase phase = s.phase;
            if (phase == ClientSession.Phase.CLOSED || phase == ClientSession.Phase.GREETING
                    || phase == ClientSession.Phase.AUTH_SWITCH) {
                f.complete(true);
                return;
            }
            BackendConnection b = s.backend;
            if (b != null && b.endpoint().equals(target) && b.isReady()) {
                f.complete(true);
                return;
            }
            if (phase == ClientSession.Phase.CONNECTING && b == null) {
                // A login waiting for a source (at the gate, or between attempts): it connects to the one routed then.
                f.complete(true);
                return;
            }
            if (phase == ClientSession.Phase.IN_FLIGHT && s.holdingCommit()) {
                leaveWhileHeld(target, why, f);
                return;
            }
            if (phase == ClientSession.Phase.IN_FLIGHT || phase == ClientSession.Phase.CONNECTING
                    || (phase == ClientSession.Phase.MIGRATING && s.relay.preparing())) {
                deferMove(target, f);
                return;
            }
            if (phase == ClientSession.Phase.MIGRATING) {
                abandonMove(); // a pending attempt (e.g. to a server that just died) gives way to the new target
            }
            SessionState state = s.state();
            if (b != null && s.lease.pooled() && phase == ClientSession.Phase.IDLE && s.lease.pinnedBecause() == null) {
                // Idle and holding nothing only its connection has: nothing to move; the connection goes.
                s.dropBackend();
                f.complete(true);
                if (s.in != null && s.in.isReadable()) {
                    s.relay.process(); // a command that arrived meanwhile (e.g. while a prepare deferred this move)
                }
                return;
            }
            if (b == null && s.lease.pooled() && !state.inTransaction && s.txLog.lostAt() == null
                    && (phase == ClientSession.Phase.IDLE || phase == ClientSession.Phase.GATED
                    || phase == ClientSession.Phase.MIGRATING)) {
                // No connection to move (given back to the pool, or lost): the next statement takes one on the
                // source routed then, with the session's state.
                if (phase == ClientSession.Phase.MIGRATING) {
                    s.phase = ClientSession.Phase.IDLE;
                    s.relay.process();
                }
                f.complete(true);
                return;
            }
            String unmovable = state.unmovableReason();
            if (unmovable != null) {
                s.relay.tellAtNextStatement(MySqlError.ER_ABORTING_CONNECTION.withMessage(
                        "Baton closed this session: it could not move to " + target + " (" + why + ") because "
                                + unmovable), true);
                s.dropBackend();
                s.server.metrics().migration(false, "unmovable");
                log.info("session {} user '{}' cannot move to {}: {}", s.id(), state.user, target, unmovable);
                f.complete(false);
                return;
            }
            if (state.inTransaction) {
                String refusal = s.txLog.refusal(state);
                if (refusal == null) {
                    // Its statements run again on the target before the session takes the new backend (docs/replay.md).
                    s.txLog.lost(b == null ? "?" : b.endpoint().name());
                } else {
                    s.relay.tellAtNextStatement(ClientSession.rolledBackByFailover(why + "; not replayed: " + refusal), false);
                    s.server.replayOutcome(s, b == null ? null : b.endpoint().name(), "refused", 0);
                    s.txLog.clear();
                }
                state.inTransaction = false;
            }
            startMove(target, f);
        });
        return f;
    }

    /**
     * A move asked for while a statement ran happens now. Returns true when there was one (the session is
     * then MIGRATING or already moved on).
     */
    boolean completeDeferredMove() {
        Endpoint target = moveAfterResponse;
        CompletableFuture<Boolean> f = moveDone;
        if (target == null) {
            return false;
        }
        moveAfterResponse = null;
        moveDone = null;
        moveTo(target, "source changed").whenComplete((ok, e) -> f.complete(ok != null && ok));
        return true;
    }

    /**
     * The response is complete on the server and its commit's OK waits for the replicas: a move deferred to the
     * end of the response needs no wait for their answer (a route step must not wait for the replicas).
     */
    void responseHeld() {
        Endpoint target = moveAfterResponse;
        CompletableFuture<Boolean> f = moveDone;
        if (target != null) {
            moveAfterResponse = null;
            moveDone = null;
            leaveWhileHeld(target, "source changed", f);
        }
    }

    /**
     * A move while a commit's OK waits for the replicas (durability.mode replica): the commit is done on the
     * server, so nothing is left to move but the session's state; the backend goes now and the next statement
     * opens one on the source routed then. A session holding state that cannot move is told so, as any other.
     * A transaction the response left open is reported when the OK is released (ResponseRelay).
     */
    private void leaveWhileHeld(Endpoint target, String why, CompletableFuture<Boolean> f) {
        SessionState state = s.state();
        String unmovable = state.unmovableReason();
        s.dropBackend();
        if (unmovable != null) {
            s.relay.tellAtNextStatement(MySqlError.ER_ABORTING_CONNECTION.withMessage("Baton closed this session: it"
                    + " could not move to " + target + " (" + why + ") because " + unmovable), true);
            s.server.metrics().migration(false, "unmovable");
            log.info("session {} user '{}' cannot move to {}: {}", s.id(), state.user, target, unmovable);
            f.complete(false);
            return;
        }
        f.complete(true);
    }

    /**
     * The command at the head of the client's bytes was sent or answered: a wait for a backend that the next one needs
     * starts from now. (Ended otherwise than by a backend, by the gate's or a KILL's answer, the wait of the one before
     * would be counted against it and refuse it at once.)
     */
    void commandLeftTheQueue() {
        reconnectDeadline = 0;
    }

    /** The next statement needs a backend and there is none (lost with its server): open one on the current source. */
    void reconnect() {
        long now = System.nanoTime();
        ProxySettings settings = s.server.settings();
        if (reconnectDeadline == 0) {
            reconnectDeadline = now + settings.gateMaxWait().toNanos();
        } else if (now > reconnectDeadline) {
            reconnectDeadline = 0;
            s.relay.refuse(givingUpReplay(MySqlError.of(2003, "Can't connect to MySQL server: Baton could not reach a"
                    + " source (" + s.server.source() + ") within " + settings.gateMaxWait().toMillis()
                    + " ms; the statement was not run")));
            s.relay.process();
            return;
        }
        Endpoint source = s.server.routeFor(s);
        if (source == null) {
            String noReplica = s.server.noRouteFor(s);
            if (noReplica != null) {
                // reads.fallback error: the statement is refused at once, the session stays.
                reconnectDeadline = 0;
                s.relay.refuse(givingUpReplay(ClientSession.noReplica(noReplica)));
                s.relay.process();
                return;
            }
            retryShortly(); // nothing to route to yet: hold the statement and look again shortly
            return;
        }
        CompletableFuture<Boolean> f = new CompletableFuture<>();
        f.thenAccept(ok -> {
            if (ok) {
                reconnectDeadline = 0;
            }
        });
        if (s.lease.pooled()) {
            acquire(source, f);
            return;
        }
        startMove(source, f);
    }

    /**
     * The session's next statement needs a connection from the pool (docs/pool.md): an idle one in the session's
     * state (the one it gave back, if free), else a new one if a slot is free, else it waits for one, first come first
     * served, at most pool.maxWait (then ERR 1040). The session is MIGRATING meanwhile.
     */
    private void acquire(Endpoint source, CompletableFuture<Boolean> f) {
        BackendPool pool = s.server.pool();
        if (s.lease.capturing(() -> {
            if (s.phase == ClientSession.Phase.MIGRATING && s.backend == null) {
                s.phase = ClientSession.Phase.IDLE;
                s.relay.process();
            }
        })) {
            s.phase = ClientSession.Phase.MIGRATING; // LAST_INSERT_ID() of its last connection first
            f.complete(false);
            return;
        }
        String key = s.lease.key();
        if (s.txLog.lostAt() != null && s.state().statementCount() > 0) {
            // A transaction to replay runs its prepared statements by the ids the new connection gives them: a fresh
            // connection with every statement prepared, as a move does.
            if (pool.reserve(source)) {
                startMove(source, f, true);
            } else {
                startMove(source, f);
            }
            return;
        }
        BackendConnection idle = pool.take(s.ch.eventLoop(), source, key, s.id());
        if (idle != null) {
            adopt(idle, source, f);
            return;
        }
        if (pool.reserve(source)) {
            startMove(source, f, true);
            return;
        }
        s.phase = ClientSession.Phase.MIGRATING;
        long t0 = System.nanoTime();
        int generation = ++moveGeneration;
        poolWaiter = pool.await(s, source, key, (outcome, given) -> {
            if (generation == moveGeneration) {
                poolWaiter = null;
            }
            s.server.metrics().poolWaited(t0, outcome == BackendPool.Outcome.TIMEOUT);
            if (s.phase == ClientSession.Phase.CLOSED || generation != moveGeneration) {
                if (given != null) {
                    given.close();
                } else if (outcome == BackendPool.Outcome.SLOT) {
                    pool.giveBack(source);
                }
                f.complete(false);
                return;
            }
            switch (outcome) {
                case GIVEN -> adopt(given, source, f);
                case SLOT -> startMove(source, f, true);
                case RETRY -> {
                    f.complete(false);
                    s.phase = ClientSession.Phase.IDLE;
                    s.relay.process(); // routed again
                }
                default -> {
                    f.complete(false);
                    s.phase = ClientSession.Phase.IDLE;
                    reconnectDeadline = 0;
                    s.relay.refuse(givingUpReplay(ClientSession.poolFull(source, s.server.settings())));
                    s.relay.process();
                }
            }
        });
    }

    /**
     * An idle pooled connection in the session's state becomes the session's: LAST_INSERT_ID() is set to the
     * session's when it differs, an open transaction lost with the previous connection is replayed (as after a move).
     */
    private void adopt(BackendConnection b, Endpoint target, CompletableFuture<Boolean> f) {
        if (!b.isReady()) {
            // Closed on its way here (its slot went back when it closed): look again.
            b.close();
            f.complete(false);
            s.phase = ClientSession.Phase.IDLE;
            s.relay.process();
            return;
        }
        long t0 = System.nanoTime();
        b.uses++;
        int generation = ++moveGeneration;
        acquiring = true;
        if (b.lastInsertId == s.state().lastInsertId) {
            moved(new SessionReplay.Result(b, null, java.util.List.of()), target, t0, f, generation);
            return;
        }
        s.phase = ClientSession.Phase.MIGRATING;
        moving = b;
        movingDone = f;
        SessionReplay r = SessionReplay.lastInsertId(s.state(), res -> moved(res, target, t0, f, generation))
                .bounded(s.server.settings().backendConnectTimeout());
        b.listener(r);
        r.backendReady(b);
    }

    /** A wait for a pooled connection under way, and whether the move under way is an acquisition from the pool. */
    private BackendPool.Waiter poolWaiter;
    private boolean acquiring;

    /** The gate is closed: the session's next statement waits for it to open, at most gate.maxWait. */
    void park() {
        s.phase = ClientSession.Phase.GATED;
        ProxySettings settings = s.server.settings();
        gateWaiter = s.server.gate().await(s.ch.eventLoop(), settings.gateMaxWait(), () -> {
            gateWaiter = null;
            if (s.phase == ClientSession.Phase.GATED) {
                s.phase = ClientSession.Phase.IDLE;
                s.relay.process();
            }
        }, () -> {
            gateWaiter = null;
            if (s.phase != ClientSession.Phase.GATED) {
                return;
            }
            s.phase = ClientSession.Phase.IDLE;
            // The statement was not run: drop it and say why; the client may retry it.
            s.relay.refuse(givingUpReplay(MySqlError.ER_LOCK_WAIT_TIMEOUT.withMessage("Baton held this statement at"
                    + " its gate for " + settings.gateMaxWait().toMillis() + " ms (" + s.server.gate().reason()
                    + ") and did not run it; retry it")));
            s.relay.process();
        }, s.state().inTransaction);
    }

    /**
     * A statement is refused while its transaction waits for a replay: the transaction is given up (a later COMMIT
     * must not commit it without that statement), and the client is told so instead of {@code e}.
     */
    private MySqlError givingUpReplay(MySqlError e) {
        String lost = s.txLog.lostAt();
        if (lost == null) {
            return e;
        }
        s.txLog.clear();
        s.server.replayOutcome(s, lost, "failed", 0);
        return ClientSession.rolledBackByFailover("its server was lost and no source took it up in time ("
                + e.message() + ")");
    }

    /** The session ends: a pending move is dropped and whoever waits for one is told it did not happen. */
    void close() {
        if (gateWaiter != null) {
            gateWaiter.cancel();
            gateWaiter = null;
        }
        if (poolWaiter != null) {
            poolWaiter.cancel();
            poolWaiter = null;
        }
        abandonMove();
        if (moveDone != null) {
            moveDone.complete(false);
            moveDone = null;
        }
    }

    private void deferMove(Endpoint target, CompletableFuture<Boolean> f) {
        if (moveDone != null) {
            moveDone.complete(false); // superseded by a newer switch
        }
        moveAfterResponse = target;
        moveDone = f;
    }

    private void abandonMove() {
        moveGeneration++;
        acquiring = false;
        if (poolWaiter != null) {
            poolWaiter.cancel(); // an answer already on its way is dropped by the generation check
            poolWaiter = null;
        }
        if (moving != null) {
            moving.close();
            moving = null;
        }
        if (movingDone != null) {
            movingDone.complete(false);
            movingDone = null;
        }
    }

    private void startMove(Endpoint target, CompletableFuture<Boolean> f) {
        startMove(target, f, false);
    }

    /** {@code counted}: a pool slot was taken for the new connection already. */
    private void startMove(Endpoint target, CompletableFuture<Boolean> f, boolean counted) {
        acquiring = counted;
        if (gateWaiter != null) {
            gateWaiter.cancel(); // re-parked after the move if the gate is still closed
            gateWaiter = null;
        }
        s.phase = ClientSession.Phase.MIGRATING;
        long t0 = System.nanoTime();
        BackendConnection.Login l = s.backendLogin();
        int generation = ++moveGeneration;
        movingDone = f;
        // From the pool (counted), a session's statements are prepared where they first run; a move prepares them all.
        boolean lazy = counted && s.txLog.lostAt() == null;
        moving = BackendConnection.open(s.ch.eventLoop(), target, l, s.server.settings(), s.server.backendTls(),
                new SessionReplay(s.state(), !lazy, r -> moved(r, target, t0, f, generation)).shared(s.lease.pooled()).key(s.lease.pooled() ? s.lease.key() : null)
                        .bounded(s.server.settings().backendConnectTimeout()));
        if (s.lease.pooled()) {
            if (!counted) {
                s.server.pool().force(target); // a session that held a connection keeps one, over the bound if need be
            }
            s.server.pool().watch(moving);
        }
    }

    private void moved(SessionReplay.Result r, Endpoint target, long t0, CompletableFuture<Boolean> f, int generation) {
        if (generation != moveGeneration) {
            if (r.ok()) {
                r.backend().close(); // a newer move superseded this one
            }
            f.complete(false);
            return;
        }
        moving = null;
        movingDone = null;
        if (s.phase == ClientSession.Phase.CLOSED) {
            if (r.ok()) {
                r.backend().close();
            }
            f.complete(false);
            return;
        }
        SessionState state = s.state();
        if (r.ok() && s.txLog.lostAt() != null) {
            // The session's open transaction runs again on the new backend before the session takes it.
            BackendConnection fresh = r.backend();
            moving = fresh;
            movingDone = f;
            new TransactionReplay(state, s.txLog, fresh, tr -> replayed(tr, fresh, target, t0, f, generation))
                    .start(s.server.settings().gateMaxWait().toMillis());
            return;
        }
        finishMove(r.ok() ? r.backend() : null, r.error(), target, t0, f);
    }

    /** The open transaction's replay ended: the move goes on with the backend, or fails as a failed move does. */
    private void replayed(TransactionReplay.Result tr, BackendConnection fresh, Endpoint target, long t0,
                          CompletableFuture<Boolean> f, int generation) {
        if (generation != moveGeneration || s.phase == ClientSession.Phase.CLOSED) {
            fresh.close();
            f.complete(false);
            return;
        }
        moving = null;
        movingDone = null;
        SessionState state = s.state();
        String lost = s.txLog.lostAt();
        long ms = (System.nanoTime() - t0) / 1_000_000;
        switch (tr.outcome()) {
            case REPLAYED -> {
                s.txLog.replayed();
                s.server.replayOutcome(s, lost, "replayed", tr.bytes());
                log.info("session {} user '{}': its open transaction ({} statement(s), {} bytes) was replayed on {}"
                        + " in {} ms", s.id(), state.user, tr.statements(), tr.bytes(), target, ms);
            }
            case DIFFERENT -> {
                s.txLog.clear();
                s.server.replayOutcome(s, lost, "different", tr.bytes());
                log.info("session {} user '{}': its open transaction was not replayed on {}: {}; ERR 1213 at its next"
                        + " statement", s.id(), state.user, target, tr.why());
                s.relay.tellAtNextStatement(ClientSession.rolledBackByFailover("the server changed; Baton replayed the"
                        + " transaction on " + target + " but " + tr.why()), false);
            }
            default -> {
                s.txLog.attemptFailed();
                String refusal = s.txLog.refusal(state);
                log.info("session {} user '{}': replaying its open transaction on {} failed: {}", s.id(), state.user,
                        target, tr.why());
                if (refusal != null) {
                    s.txLog.clear();
                    s.server.replayOutcome(s, lost, "failed", tr.bytes());
                    s.relay.tellAtNextStatement(ClientSession.rolledBackByFailover("the server changed and the"
                            + " transaction could not be replayed: " + tr.why()), false);
                }
                finishMove(null, io.baton.protocol.MySqlError.CR_SERVER_LOST.withMessage(tr.why()), target, t0, f);
                return;
            }
        }
        finishMove(fresh, null, target, t0, f);
    }

    private void finishMove(BackendConnection fresh, MySqlError error, Endpoint target, long t0,
                            CompletableFuture<Boolean> f) {
        long ms = (System.nanoTime() - t0) / 1_000_000;
        SessionState state = s.state();
        if (fresh == null) {
            // Not moved: the session stays open without a backend and tries again at its next statement.
            acquiring = false;
            s.dropBackend();
            s.server.metrics().migration(false, "replay");
            log.debug("session {} user '{}' could not move to {} ({} ms): {}", s.id(), state.user, target, ms,
                    error.message());
            f.complete(false);
            if (moveAfterResponse != null) {
                s.phase = ClientSession.Phase.IDLE;
                completeDeferredMove();
                return;
            }
            retryShortly(); // a held statement waits, bounded by gate.maxWait
            return;
        }
        s.swapBackend(fresh);
        s.phase = ClientSession.Phase.IDLE;
        if (acquiring) {
            acquiring = false; // a connection from the pool: not a move
        } else {
            s.server.metrics().migration(true, "moved");
            log.debug("session {} user '{}' moved to {} in {} ms ({} statements re-prepared)", s.id(), state.user,
                    target, ms, state.statementCount());
        }
        f.complete(true);
        if (completeDeferredMove()) {
            return;
        }
        s.relay.process();
        if (s.in == null || !s.in.isReadable()) {
            s.ch.config().setAutoRead(true);
        }
    }

    /** Holds the session MIGRATING without a backend and looks again shortly. */
    private void retryShortly() {
        s.phase = ClientSession.Phase.MIGRATING;
        s.ch.eventLoop().schedule(() -> {
            if (s.phase == ClientSession.Phase.MIGRATING && s.backend == null && moving == null) {
                s.phase = ClientSession.Phase.IDLE;
                s.relay.process();
            }
        }, RETRY_MILLIS, TimeUnit.MILLISECONDS);
    }
}
