package io.baton.proxy;

import io.baton.protocol.Command;
import io.baton.protocol.MySqlError;
import io.baton.protocol.Packets;
import io.baton.protocol.ServerStatus;
import io.baton.protocol.message.OkPacket;
import io.baton.proxy.routing.Endpoint;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A session's backend connection from the session's side: opening it after the client's login (waiting through a
 * failover, bounded by gate.maxWait), relaying its events to the {@link ResponseRelay}, swapping it when the
 * session moves, and what its loss means for the client: a statement in flight gets its {@link InFlight} fate, an
 * open transaction is replayed on the next source ({@link TransactionLog}) or reported rolled back.
 * On the session's event loop, like everything of a session.
 */
final class BackendLink implements BackendConnection.Listener {
    /** The session's logger: operators' log settings name ClientSession for everything a session logs. */
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    private static final long CONNECT_RETRY_MILLIS = 50;

    private final ClientSession s;
    private final Exchange x;
    private final ResponseRelay response;
    /** Until when (System.nanoTime) opening the backend may wait for a source; 0 before the first attempt. */
    private long connectDeadline;
    private Gate.Waiter connectWaiter;
    /** The server said it closes the backend for inactivity (ERR 4031): its end then ends the session. */
    boolean serverTimedOut;

    BackendLink(ClientSession session, Exchange exchange, ResponseRelay response) {
        this.s = session;
        this.x = exchange;
        this.response = response;
    }

    /** A new login (or change of user): the wait for a source starts again. */
    void restartConnect() {
        connectDeadline = 0;
    }

    /**
     * Opens the session's backend on the source routed now. A login that arrives during a failover (the gate is
     * closed, or the source refuses connections until it is replaced) waits for it as a statement would, at most
     * gate.maxWait, instead of failing: the client sees a slower login.
     */
    void open() {
        if (s.phase == ClientSession.Phase.CLOSED) {
            return;
        }
        long now = System.nanoTime();
        if (connectDeadline == 0) {
            connectDeadline = now + s.server.settings().gateMaxWait().toNanos();
        }
        long left = connectDeadline - now;
        Gate gate = s.server.gate();
        if (!gate.admits(false)) {
            if (left <= 0) {
                s.sendErrAndClose(MySqlError.of(2003, "Can't connect to MySQL server: Baton held this login at its gate for "
                        + s.server.settings().gateMaxWait().toMillis() + " ms (" + gate.reason() + ")"), s.seq + 1);
                return;
            }
            connectWaiter = gate.await(s.ch.eventLoop(), Duration.ofNanos(left), () -> {
                connectWaiter = null;
                open();
            }, () -> {
                connectWaiter = null;
                open(); // past the deadline: says so
            });
            return;
        }
        Endpoint source = s.server.routeFor(s);
        if (source == null) {
            String noReplica = s.server.noRouteFor(s);
            if (noReplica != null) {
                // reads.fallback error: said at once, not after a wait.
                s.sendErrAndClose(ClientSession.noReplica(noReplica), s.seq + 1);
                return;
            }
            if (left > 0) {
                retryConnect();
                return;
            }
            s.sendErrAndClose(MySqlError.of(2003, "Can't connect to MySQL server: Baton has no source server to route to"),
                    s.seq + 1);
            return;
        }
        serverTimedOut = false;
        if (s.lease.pooled()) {
            BackendPool pool = s.server.pool();
            BackendConnection idle = pool.takeForLogin(s.ch.eventLoop(), source, s.lease.key(),
                    b -> System.nanoTime() - b.loggedInAt < s.server.settings().pool().loginReuse().toNanos()
                            && LoginReset.possible(b.parkedVariables, s.state().characterSet));
            if (idle != null) {
                s.server.metrics().poolLogin(true);
                loginOn(idle);
                return;
            }
            if (!pool.reserve(source)) {
                // maxPerServer connections are open: the login waits for one to come free, first come first served.
                connectPoolWaiter = pool.await(s, source, "\u0000login", (outcome, given) -> {
                    connectPoolWaiter = null;
                    if (given != null) {
                        given.close(); // (a login waits under a key no idle connection has)
                    }
                    if (s.phase == ClientSession.Phase.CLOSED) {
                        if (outcome == BackendPool.Outcome.SLOT) {
                            pool.giveBack(source);
                        }
                        return;
                    }
                    if (outcome == BackendPool.Outcome.SLOT && !source.equals(s.server.routeFor(s))) {
                        pool.giveBack(source); // the route changed while it waited
                        open();
                        return;
                    }
                    switch (outcome) {
                        case SLOT -> openCounted(source);
                        case TIMEOUT -> s.sendErrAndClose(ClientSession.poolFull(source, s.server.settings()), s.seq + 1);
                        default -> open();
                    }
                });
                return;
            }
            openCounted(source);
            return;
        }
        s.backend = BackendConnection.open(s.ch.eventLoop(), source, s.backendLogin(), s.server.settings(),
                s.server.backendTls(), this);
    }

    /**
     * The login takes an idle pooled connection of its user and state (schema, character set, capabilities, port):
     * the same user logged in on it, in that schema, so it is what a new server login would give, once the session
     * variables its last session changed are set back ({@link LoginReset}) and {@code LAST_INSERT_ID()} is 0. The
     * server keeps the login attributes of the session that opened it (docs/pool.md).
     */
    private void loginOn(BackendConnection b) {
        if (!b.isReady()) {
            b.close(); // closed on its way here: its slot went back; look again
            open();
            return;
        }
        b.uses++;
        s.backend = b;
        String reset = LoginReset.statement(b, s.state().characterSet,
                (s.capabilities & io.baton.protocol.Capabilities.CLIENT_INTERACTIVE) != 0);
        b.parkedVariables = List.of();
        if (reset == null) {
            b.listener(this);
            backendReady(b);
            return;
        }
        // A server that does not answer (hung, not dead) holds the login no longer than a new login's connect: the reset
        // is bounded by limits.backendConnectTimeout, as Baton's every SET is, and ends as a lost connection (a new one).
        SessionReplay r = SessionReplay.statement(s.state(), reset, res -> {
            if (s.phase == ClientSession.Phase.CLOSED || b != s.backend) {
                b.close();
                return;
            }
            if (!res.ok()) {
                log.info("session {} user '{}': {}; the login opens a new connection", s.id(), s.state().user,
                        res.error().message());
                s.backend = null;
                b.close();
                reopenAfterReset();
                return;
            }
            b.listener(this);
            backendReady(b);
        });
        b.listener(r.bounded(s.server.settings().backendConnectTimeout()));
        r.backendReady(b);
    }

    /** The reset of a taken connection failed or timed out: a new connection, unless a KILL ended the login. */
    private void reopenAfterReset() {
        if (s.killed) {
            s.sendErrAndClose(MySqlError.ER_CONNECTION_KILLED, s.seq + 1);
            return;
        }
        open();
    }

    /** Opens the session's backend with a pool slot already taken for it. */
    private void openCounted(Endpoint source) {
        serverTimedOut = false;
        s.server.metrics().poolLogin(false);
        s.backend = BackendConnection.open(s.ch.eventLoop(), source, s.backendLogin(), s.server.settings(),
                s.server.backendTls(), this);
        s.server.pool().watch(s.backend);
    }

    private BackendPool.Waiter connectPoolWaiter;

    /** Opens the backend again shortly: the source refused it (a failover may be about to replace it). */
    private void retryConnect() {
        s.ch.eventLoop().schedule(this::open, CONNECT_RETRY_MILLIS, TimeUnit.MILLISECONDS);
    }

    /** The session ends: a login waiting at the gate stops waiting. */
    void close() {
        if (connectWaiter != null) {
            connectWaiter.cancel();
            connectWaiter = null;
        }
        if (connectPoolWaiter != null) {
            connectPoolWaiter.cancel();
            connectPoolWaiter = null;
        }
    }

    /** The session gives its backend back to the pool: it is no longer the session's; nothing of it is buffered. */
    BackendConnection detach() {
        BackendConnection b = s.backend;
        s.backend = null;
        response.release();
        // The response just relayed waits for the backend's read-complete to be flushed, which no longer comes here.
        s.ch.flush();
        return b;
    }

    @Override
    public void backendReady(BackendConnection b) {
        if (b != s.backend || s.phase == ClientSession.Phase.CLOSED) {
            b.close();
            return;
        }
        s.server.metrics().backendConnected();
        connectDeadline = 0;
        s.seq++;
        s.write(out -> OkPacket.of(ServerStatus.SERVER_STATUS_AUTOCOMMIT).encode(out, s.capabilities));
        s.ch.flush();
        s.phase = ClientSession.Phase.IDLE;
        log.debug("session {} user {} logged in, backend {} thread {}", s.id(), s.state().user, b.endpoint(), b.threadId());
        if (s.mover.completeDeferredMove()) {
            return;
        }
        s.relay.process();
    }

    @Override
    public void backendFailed(BackendConnection b, MySqlError error) {
        if (b != s.backend) {
            return;
        }
        s.server.metrics().backendError();
        s.backend = null;
        if (error.errno() == 2003 || error.errno() == 2013) {
            s.server.backendLost(b.endpoint()); // refused or cut: the monitor looks now
            if (s.phase == ClientSession.Phase.CONNECTING && System.nanoTime() - connectDeadline < 0) {
                log.debug("session {} user '{}': backend login at {} failed ({}); trying again", s.id(), s.state().user,
                        b.endpoint(), error.message());
                retryConnect();
                return;
            }
        }
        log.info("session {} user '{}': backend login at {} failed: {}", s.id(), s.state().user, b.endpoint(), error);
        s.sendErrAndClose(error, s.phase == ClientSession.Phase.CONNECTING ? s.seq + 1 : 1);
    }

    @Override
    public void backendClosed(BackendConnection b) {
        if (b != s.backend || s.phase == ClientSession.Phase.CLOSED) {
            return;
        }
        if (!s.killed && s.split.readerLost(b)) {
            // The replica serving a split read went away: the session is back on its source backend, and the read
            // runs again there if nothing of it had come back.
            response.release();
            s.server.metrics().backendError();
            String why = "the connection to " + b.endpoint() + " was lost";
            if (s.phase == ClientSession.Phase.IN_FLIGHT) {
                lostInFlight(b, why);
            } else if (s.phase == ClientSession.Phase.IDLE) {
                s.relay.process();
            }
            return;
        }
        // The server went away (crash, kill, network): the client session stays. Its next statement
        // goes to whatever the router says then, after the gate if it is closed.
        s.backend = null;
        response.release();
        SessionState state = s.state();
        if (s.killed) {
            // KILL CONNECTION: the session ends, as on a server.
            log.debug("session {} was killed", s.id());
            if (s.phase == ClientSession.Phase.IN_FLIGHT) {
                s.sendErrAndClose(MySqlError.ER_CONNECTION_KILLED, response.abandon());
            } else {
                s.close();
            }
            return;
        }
        if (serverTimedOut && s.phase != ClientSession.Phase.IN_FLIGHT) {
            // The server closed the session for its inactivity (wait_timeout): so does Baton, with the server's error.
            log.debug("session {}: {} closed it for inactivity", s.id(), b.endpoint());
            s.server.metrics().idleClosed();
            s.sendErrAndClose(ClientSession.INACTIVE, 0);
            return;
        }
        s.server.metrics().backendError();
        s.server.backendLost(b.endpoint());
        String why = "the connection to " + b.endpoint() + " was lost";
        if (s.phase == ClientSession.Phase.IN_FLIGHT && response.holding()) {
            // The commit is done on the server; its OK waits for the replicas, which may have it even now
            // that the server is lost. That answer decides; the next statement reconnects.
            log.info("session {} user '{}': {} while its commit's OK waits for the replicas", s.id(), state.user, why);
            state.inTransaction = false;
            return;
        }
        if (s.phase == ClientSession.Phase.IN_FLIGHT) {
            lostInFlight(b, why);
        } else if (state.inTransaction) {
            state.inTransaction = false;
            String refusal = s.txLog.refusal(state);
            if (refusal == null) {
                // Nothing of it committed: its statements run again on the next backend before the next statement.
                log.info("session {} user '{}': {} inside a transaction; it is replayed on the next source", s.id(),
                        state.user, why);
                s.txLog.lost(b.endpoint().name());
            } else {
                log.info("session {} user '{}': {} inside a transaction, not replayed: {}", s.id(), state.user, why,
                        refusal);
                s.relay.tellAtNextStatement(ClientSession.rolledBackByFailover(why + "; not replayed: " + refusal), false);
                s.server.replayOutcome(s, b.endpoint().name(), "refused", 0);
                s.txLog.clear();
            }
        } else {
            log.debug("session {}: {} while idle; it reconnects at its next statement", s.id(), why);
        }
        if (s.phase == ClientSession.Phase.IDLE) {
            s.relay.process();
        }
    }

    /** The backend was lost with a statement under way: its {@link InFlight} fate decides what the client gets. */
    private void lostInFlight(BackendConnection b, String why) {
        SessionState state = s.state();
        state.inTransaction = false;
        s.relay.abandonCommand();
        boolean held = response.holdingAnything();
        int next = response.abandon(); // a commit's OK held mid-response never reaches the client: this takes its place
        InFlight.Fate fate = held ? InFlight.Fate.UNKNOWN
                : InFlight.of(x.sentStatement(), x.sentInTransaction, x.answered);
        if (fate == InFlight.Fate.RERUN && (x.sent == null || x.sentWithLongData)) {
            fate = InFlight.Fate.UNKNOWN; // not kept whole (sent in pieces, or a parameter as long data): it cannot go again
        }
        // One crash is one loss: lost on a connection to the same server opened before its previous loss (a pooled
        // one the crash had not yet been seen to end), a statement lost nothing new.
        boolean anotherLoss = x.losses == 0 || !b.endpoint().equals(x.lossEndpoint) || b.loggedInAt - x.lossAt > 0;
        int losses = x.losses + (anotherLoss ? 1 : 0);
        String again = losses <= InFlight.MAX_RERUNS ? null : "the statement in flight had lost its server "
                + (x.losses == 1 ? "once" : x.losses + " times") + " before (it may be what ends it)";
        boolean notRerun = fate == InFlight.Fate.RERUN && again != null;
        if (notRerun) {
            fate = InFlight.Fate.NOT_RERUN;
        }
        String refusal = null;
        if (fate == InFlight.Fate.ROLLED_BACK) {
            // Inside a transaction, nothing of which committed: the transaction is replayed on the next source and
            // the statement goes again after it, unless the client already saw part of its answer.
            refusal = again != null ? again
                    : x.answered ? "part of the answer to the statement in flight had reached the client"
                    : x.sent == null ? "the statement in flight was sent in pieces"
                    : x.sentWithLongData ? "the statement in flight had a parameter sent as long data"
                    : s.txLog.refusal(state);
            if (refusal == null) {
                String sql = x.sentStatement();
                // Its answer was never seen: a clock read is fine; what belongs to the lost connection is not.
                String ruled = sql == null ? "the statement in flight is not kept" : TransactionLog.refusal(sql, false);
                refusal = ruled == null ? null : ruled + " in the statement in flight";
            }
            if (refusal == null) {
                fate = InFlight.Fate.REPLAYED;
            }
        }
        s.server.inFlightLost(s, b.endpoint(), fate);
        log.info("session {} user '{}': {} during {}: {}", s.id(), state.user, why, Command.name(x.command),
                fate == InFlight.Fate.RERUN ? "a read, it runs again on the source routed next"
                        : fate == InFlight.Fate.REPLAYED ? "inside a transaction: the transaction is replayed on the"
                                + " source routed next, then the statement runs again"
                        : fate == InFlight.Fate.ROLLED_BACK ? "inside a transaction, rolled back with it"
                                + (refusal == null ? "" : " (not replayed: " + refusal + ")")
                        : fate == InFlight.Fate.ROLLED_BACK_AS_ASKED ? "a ROLLBACK, done with the server: OK"
                        : fate == InFlight.Fate.NOT_RERUN ? "a read, not run again: " + again
                        : "its outcome is unknown");
        s.phase = ClientSession.Phase.IDLE;
        if ((fate == InFlight.Fate.RERUN || fate == InFlight.Fate.REPLAYED) && s.lease.pooled()) {
            s.server.pool().closeIdle(s.ch.eventLoop(), b.endpoint());
        }
        if (fate == InFlight.Fate.RERUN) {
            // Nothing of it came back and it changed nothing: the client's statement goes again, as if just sent.
            resend(losses, b.endpoint());
            return;
        }
        if (fate == InFlight.Fate.REPLAYED) {
            s.txLog.lost(b.endpoint().name());
            resend(losses, b.endpoint());
            return;
        }
        if (fate == InFlight.Fate.ROLLED_BACK) {
            s.server.replayOutcome(s, b.endpoint().name(), "refused", 0);
        }
        s.txLog.clear();
        x.forget();
        ByteBuf out = s.ch.alloc().buffer();
        int h = Packets.reserveHeader(out);
        if (fate == InFlight.Fate.ROLLED_BACK_AS_ASKED) {
            OkPacket.of(state.autocommit ? ServerStatus.SERVER_STATUS_AUTOCOMMIT : 0).encode(out, s.capabilities);
        } else {
            (fate == InFlight.Fate.ROLLED_BACK ? ClientSession.rolledBackByFailover(why)
                    : fate == InFlight.Fate.NOT_RERUN ? MySqlError.ER_QUERY_INTERRUPTED.withMessage(
                            "Query execution was interrupted: " + why
                            + "; the read is not run again: " + again + ". The session is usable")
                    : ClientSession.outcomeUnknown(why)).toErrPacket().encode(out, s.capabilities);
        }
        Packets.finishFrames(out, h, next);
        s.ch.writeAndFlush(out);
        s.mover.completeDeferredMove();
    }

    /**
     * The command under way goes again, as if the client had just sent it: its packet is put back in front, with the
     * count of the losses it met so far ({@link InFlight#MAX_RERUNS}).
     */
    private void resend(int losses, Endpoint lostOn) {
        ByteBuf again = x.sent;
        x.sent = null;
        if (x.command == Command.COM_STMT_EXECUTE) {
            again.setIntLE(again.readerIndex() + Packets.HEADER_SIZE + 1, x.sentStatementId); // the client's id again
        }
        if (s.in != null && !s.in.isReadable()) {
            s.in.release();
            s.in = null;
        }
        s.in = s.in == null ? again : BackendConnection.append(s.ch.alloc(), again, s.in);
        x.forget();
        x.queuedLosses = losses; // counted when it starts again
        x.queuedLossAt = System.nanoTime();
        x.queuedLossEndpoint = lostOn;
        if (!s.mover.completeDeferredMove() && s.phase == ClientSession.Phase.IDLE) {
            s.relay.process();
        }
    }

    @Override
    public void backendWritabilityChanged(BackendConnection b) {
        // Backpressure: stop reading the client while the backend cannot take more.
        if (b == s.backend) {
            s.ch.config().setAutoRead(b.channel().isWritable());
        }
    }

    @Override
    public void backendRead(BackendConnection b, ByteBuf msg) {
        s.server.metrics().sent(msg.readableBytes());
        if (b != s.backend || s.phase == ClientSession.Phase.CLOSED) {
            msg.release();
            return;
        }
        if (response.read(b, msg)) {
            s.ch.config().setAutoRead(true);
            s.relay.process();
        }
    }

    @Override
    public void backendReadComplete(BackendConnection b) {
        s.ch.flush();
    }

    /** A moved session's new backend, its state already rebuilt, takes the old one's place. */
    void swap(BackendConnection fresh) {
        BackendConnection old = s.backend;
        s.backend = fresh;
        serverTimedOut = false;
        fresh.listener(this);
        if (old != null) {
            old.close(); // COM_QUIT: the old server rolls back whatever the session had open
        }
        response.release();
    }

    /** The backend goes (closed with COM_QUIT); the next statement opens another. */
    void drop() {
        BackendConnection b = s.backend;
        s.backend = null;
        response.release();
        if (b != null) {
            b.close();
        }
    }
}
