package io.baton.proxy;

import io.baton.proxy.routing.Endpoint;
import io.netty.buffer.ByteBuf;
import io.netty.channel.EventLoop;
import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The read-write port's server connections, shared by its sessions (docs/pool.md). Two parts:
 * <ul>
 * <li><b>Slots</b>, per server, across event loops: how many connections are open (held by sessions and idle
 *     together), at most pool.maxPerServer, and the statements waiting for one, first come first served. A slot is
 *     taken before a connection is opened and given back when its channel closes, whatever closed it: the count
 *     cannot drift. A slot given back while statements wait goes to the first of them.</li>
 * <li><b>Idle connections</b>, per event loop: a session's connection lives on the session's loop, so a connection
 *     given back is parked on its loop and taken again by a session of that loop whose state it has (same user,
 *     schema, character set, capabilities and session variables: the state key). A statement that finds no such
 *     connection and no free slot waits; an idle connection of another state (or on another loop) is closed so that
 *     its slot goes to the first waiter.</li>
 * </ul>
 * Nothing here blocks: waits are callbacks on the waiter's loop, bounded by pool.maxWait.
 */
final class BackendPool {
    private static final Logger log = LoggerFactory.getLogger(BackendPool.class);

    /** How a wait for a connection ended. */
    enum Outcome {
        /** A slot: open a new connection with it. */
        SLOT,
        /** An idle connection of the waiter's state, handed over directly. */
        GIVEN,
        /** The server is no longer routed to: ask the router again. */
        RETRY,
        /** pool.maxWait passed. */
        TIMEOUT
    }

    /** A statement waiting for a connection to {@code server}. */
    final class Waiter {
        final EventLoop loop;
        final Endpoint server;
        final String key;
        final ClientSession session;
        private final AtomicBoolean done = new AtomicBoolean();
        private final BiConsumer2 then;
        private ScheduledFuture<?> timer;

        Waiter(EventLoop loop, Endpoint server, String key, ClientSession session, BiConsumer2 then) {
            this.loop = loop;
            this.server = server;
            this.key = key;
            this.session = session;
            this.then = then;
        }

        /** Ends the wait once, on the waiter's loop. */
        boolean finish(Outcome o, BackendConnection given) {
            if (!done.compareAndSet(false, true)) {
                return false;
            }
            loop.execute(() -> {
                if (timer != null) {
                    timer.cancel(false);
                }
                then.accept(o, given);
            });
            return true;
        }

        /** The session went away: the wait ends without an answer (a slot it was given goes back). */
        void cancel() {
            if (done.compareAndSet(false, true)) {
                if (timer != null) {
                    timer.cancel(false);
                }
                slots(server).waiters.remove(this);
            }
        }
    }

    /** What a waiter is told: the outcome and, for GIVEN, the connection. */
    interface BiConsumer2 {
        void accept(Outcome outcome, BackendConnection given);
    }

    /** Per server, across loops. */
    private static final class Slots {
        final AtomicInteger open = new AtomicInteger();
        final ConcurrentLinkedQueue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    }

    /** A parked connection: idle in the pool, its state described by {@code key}. */
    private final class Parked implements BackendConnection.Listener {
        final BackendConnection b;
        final String key;
        final long since = System.nanoTime();
        /** The session that gave it back: it gets it again first (nothing to restore). */
        final long lastSession;

        Parked(BackendConnection b, String key, long lastSession) {
            this.b = b;
            this.key = key;
            this.lastSession = lastSession;
        }

        @Override
        public void backendReady(BackendConnection b) {
            // parked connections are ready
        }

        @Override
        public void backendFailed(BackendConnection b, io.baton.protocol.MySqlError error) {
            unpark(this);
        }

        @Override
        public void backendRead(BackendConnection b, ByteBuf msg) {
            // Unasked bytes on an idle connection: the server is closing it (wait_timeout, KILL, shutdown).
            msg.release();
            unpark(this);
            b.close();
        }

        @Override
        public void backendReadComplete(BackendConnection b) {
            // nothing to flush
        }

        @Override
        public void backendClosed(BackendConnection b) {
            // Closed by the server, not by Baton (its own closes never get here): a crashed source resets its
            // connections, and the monitor looks now, as when a session's connection ends unasked.
            unpark(this);
            server.backendLost(b.endpoint());
        }

        @Override
        public void backendWritabilityChanged(BackendConnection b) {
            // idle: nothing is written
        }
    }

    /** Idle connections of one event loop; touched only on that loop. */
    private final class LoopIdle {
        final EventLoop loop;
        final Map<Endpoint, ArrayDeque<Parked>> idle = new HashMap<>();
        final AtomicInteger count = new AtomicInteger();
        ScheduledFuture<?> sweeper;
        /** Sessions of this loop idle with a connection, and the ticker that gives theirs back when due. */
        final ArrayDeque<BackendLease> holders = new ArrayDeque<>();
        ScheduledFuture<?> releaser;
        int emptyTicks;
        /** Sessions of this loop whose split-reads replica connection is idle (proxy.splitReads), for the sweep. */
        final ArrayDeque<SplitReads> readers = new ArrayDeque<>();

        LoopIdle(EventLoop loop) {
            this.loop = loop;
        }
    }

    private final ProxyServer server;
    private final Map<Endpoint, Slots> slots = new ConcurrentHashMap<>();
    private final Map<EventLoop, LoopIdle> loops = new ConcurrentHashMap<>();

    BackendPool(ProxyServer server) {
        this.server = server;
    }

    private ProxySettings.Pool settings() {
        return server.settings().pool();
    }

    boolean enabled() {
        return settings().enabled();
    }

    private Slots slots(Endpoint e) {
        return slots.computeIfAbsent(e, k -> new Slots());
    }

    private LoopIdle loop(EventLoop l) {
        return loops.computeIfAbsent(l, LoopIdle::new);
    }

    /** Whether statements wait for a connection to {@code e}: a session then gives its connection back at once. */
    boolean hasWaiters(Endpoint e) {
        Slots s = slots.get(e);
        return s != null && !s.waiters.isEmpty();
    }

    /**
     * An idle connection to {@code e} on {@code loop} in the state {@code key}, the one {@code session} gave back
     * last if it is there; null if none. On {@code loop}.
     */
    BackendConnection take(EventLoop loop, Endpoint e, String key, long session) {
        LoopIdle li = loops.get(loop);
        ArrayDeque<Parked> q = li == null ? null : li.idle.get(e);
        if (q == null || q.isEmpty()) {
            return null;
        }
        Parked found = null;
        // Newest first: the most recently used connection is the warmest, and likely the session's own.
        for (Iterator<Parked> it = q.descendingIterator(); it.hasNext(); ) {
            Parked p = it.next();
            if (p.key.equals(key)) {
                if (found == null || p.lastSession == session) {
                    found = p;
                }
                if (p.lastSession == session) {
                    break;
                }
            }
        }
        if (found == null) {
            return null;
        }
        q.remove(found);
        li.count.decrementAndGet();
        return found.b;
    }

    /**
     * An idle connection to {@code e} on {@code loop} for a login whose state key is {@code loginKey} (no session
     * variables): one whose key starts with it (the same port, user, schema, character set and capabilities) and
     * whose variables {@code resettable} accepts, the newest first; null if none. On {@code loop}.
     */
    BackendConnection takeForLogin(EventLoop loop, Endpoint e, String loginKey,
                                   java.util.function.Predicate<BackendConnection> resettable) {
        LoopIdle li = loops.get(loop);
        ArrayDeque<Parked> q = li == null ? null : li.idle.get(e);
        if (q == null || q.isEmpty()) {
            return null;
        }
        for (Iterator<Parked> it = q.descendingIterator(); it.hasNext(); ) {
            Parked p = it.next();
            if (p.key.startsWith(loginKey) && resettable.test(p.b)) {
                it.remove();
                li.count.decrementAndGet();
                return p.b;
            }
        }
        return null;
    }

    /** Takes a slot for a new connection to {@code e} if one is free and nobody waits before; false otherwise. */
    boolean reserve(Endpoint e) {
        Slots s = slots(e);
        if (!s.waiters.isEmpty()) {
            return false;
        }
        int max = settings().maxPerServer();
        while (true) {
            int n = s.open.get();
            if (n >= max) {
                return false;
            }
            if (s.open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /** A connection opened beyond the bound: a session that held one moves (failover, switchover). */
    void force(Endpoint e) {
        slots(e).open.incrementAndGet();
    }

    /** Counts {@code b} against its server's slots until its channel closes; then the slot goes to a waiter. */
    void watch(BackendConnection b) {
        Endpoint e = b.endpoint();
        b.channel().closeFuture().addListener(f -> slotFreed(e));
    }

    /** A slot given to a waiter that no longer needs it (its session closed): it goes to the next, or back. */
    void giveBack(Endpoint e) {
        slotFreed(e);
    }

    private void slotFreed(Endpoint e) {
        Slots s = slots(e);
        Waiter w;
        while ((w = s.waiters.poll()) != null) {
            if (w.finish(Outcome.SLOT, null)) {
                return; // the slot goes on to the first waiter: the count stays
            }
        }
        s.open.decrementAndGet();
        // A waiter that queued while the slot was being given back looks again.
        if (s.waiters.peek() != null && reserveFor(s)) {
            grantOrGiveBack(s);
        }
    }

    /** A slot just reserved goes to the first waiter still waiting, or back. */
    private void grantOrGiveBack(Slots s) {
        Waiter w;
        while ((w = s.waiters.poll()) != null) {
            if (w.finish(Outcome.SLOT, null)) {
                return;
            }
        }
        s.open.decrementAndGet();
    }

    private boolean reserveFor(Slots s) {
        int max = settings().maxPerServer();
        while (true) {
            int n = s.open.get();
            if (n >= max) {
                return false;
            }
            if (s.open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    /**
     * Waits for a connection to {@code e} (on the session's loop): queued first come first served, bounded by
     * pool.maxWait; an idle connection somewhere is closed so that its slot comes free.
     */
    Waiter await(ClientSession session, Endpoint e, String key, BiConsumer2 then) {
        EventLoop loop = session.channel().eventLoop();
        Slots s = slots(e);
        Waiter w = new Waiter(loop, e, key, session, then);
        long maxWait = settings().maxWait().toMillis();
        w.timer = loop.schedule(() -> {
            if (w.finish(Outcome.TIMEOUT, null)) {
                s.waiters.remove(w);
            }
        }, maxWait, TimeUnit.MILLISECONDS);
        s.waiters.add(w);
        if (reserveFor(s)) {
            // A slot came free while queueing: the first waiter gets it.
            grantOrGiveBack(s);
            return w;
        }
        // Free a slot: an idle connection to e, this loop's first, else another loop's.
        LoopIdle own = loops.get(loop);
        if (own != null && closeOneIdle(own, e)) {
            return w;
        }
        for (LoopIdle li : loops.values()) {
            if (li != own && li.count.get() > 0) {
                li.loop.execute(() -> closeOneIdle(li, e)); // each loop closes one of its own, if it has one
            }
        }
        return w;
    }

    private boolean closeOneIdle(LoopIdle li, Endpoint e) {
        ArrayDeque<Parked> q = li.idle.get(e);
        Parked p = q == null ? null : q.pollFirst(); // the oldest
        if (p == null) {
            return false;
        }
        li.count.decrementAndGet();
        p.b.close();
        return true;
    }

    /**
     * A session gives {@code b} back, its state described by {@code key} (on the connection's loop). The first
     * waiter of the same loop and state gets it at once; another waiter gets its slot (the connection closes); else it
     * is parked.
     */
    void park(BackendConnection b, String key, ClientSession last) {
        Endpoint e = b.endpoint();
        Slots s = slots(e);
        EventLoop loop = b.channel().eventLoop();
        if (!b.isReady() || !b.channel().isActive() || !routable(e, b.readOnly())) {
            b.close(); // not worth keeping: closing gives the slot back
            return;
        }
        if (b.statementsKey != null && !b.statementsKey.equals(key)) {
            b.forgetStatements(); // prepared in another schema or with other variables: not for sessions of this state
        }
        for (Waiter w : s.waiters) {
            if (w.loop == loop && w.key.equals(key)) {
                if (s.waiters.remove(w) && w.finish(Outcome.GIVEN, b)) {
                    return;
                }
            }
            break; // only the first waiter may take it: first come first served
        }
        if (!s.waiters.isEmpty()) {
            b.close(); // its slot goes to the first waiter
            return;
        }
        java.util.Map<String, String> vars = last.state().variables();
        b.parkedVariables = vars.isEmpty() ? java.util.List.of() : java.util.List.copyOf(vars.keySet());
        LoopIdle li = loop(loop);
        Parked p = new Parked(b, key, last.id());
        b.listener(p);
        li.idle.computeIfAbsent(e, k -> new ArrayDeque<>()).addLast(p);
        li.count.incrementAndGet();
        if (!s.waiters.isEmpty()) {
            // A statement on another loop queued between the look above and the count: it looked for idle
            // connections before this one counted. Parked first, looked again after (as await queues, then looks):
            // one of the two always sees the other, so the slot goes to the waiter instead of idling past maxWait.
            closeOneIdle(li, e);
        }
        sweeping(li);
    }

    /** Starts the loop's sweep if it does not run yet. On its loop. */
    private void sweeping(LoopIdle li) {
        if (li.sweeper == null) {
            long every = Math.max(100, Math.min(settings().idleTimeout().toMillis(), settings().idleTrim().toMillis()) / 4);
            li.sweeper = li.loop.scheduleAtFixedRate(() -> sweep(li), every, every, TimeUnit.MILLISECONDS);
        }
    }

    /**
     * {@code r}'s split-reads replica connection went idle: the loop's sweep closes it once it has been idle
     * pool.idleTimeout, as a parked connection would be (it is the session's own, not shared: docs/pool.md). On
     * {@code loop}, the session's.
     */
    void watchIdleReader(SplitReads r, EventLoop loop) {
        LoopIdle li = loop(loop);
        li.readers.addLast(r);
        sweeping(li);
    }

    private void unpark(Parked p) {
        LoopIdle li = loops.get(p.b.channel().eventLoop());
        ArrayDeque<Parked> q = li == null ? null : li.idle.get(p.b.endpoint());
        if (q != null && q.remove(p)) {
            li.count.decrementAndGet();
        }
    }

    /**
     * {@code lease}'s session is idle holding a connection: the loop's ticker (every pool.releaseDelay) gives it back
     * once it has been idle that long. On {@code loop}.
     */
    void releaseLater(BackendLease lease, EventLoop loop) {
        LoopIdle li = loop(loop);
        li.holders.addLast(lease);
        if (li.releaser == null) {
            long every = Math.max(1_000_000L, settings().releaseDelay().toNanos());
            li.emptyTicks = 0;
            li.releaser = loop.scheduleAtFixedRate(() -> releaseDue(li), every, every, TimeUnit.NANOSECONDS);
        }
    }

    private void releaseDue(LoopIdle li) {
        long now = System.nanoTime();
        long delay = settings().releaseDelay().toNanos();
        for (Iterator<BackendLease> it = li.holders.iterator(); it.hasNext(); ) {
            if (!it.next().releaseIfDue(now, delay)) {
                it.remove();
            }
        }
        if (!li.holders.isEmpty()) {
            li.emptyTicks = 0;
        } else if (++li.emptyTicks > 200 && li.releaser != null) {
            li.releaser.cancel(false); // nobody idle with a connection for a while: the ticker stops until needed
            li.releaser = null;
        }
    }

    /**
     * Closes the connections idle longer than pool.idleTimeout, and those idle longer than pool.idleTrim beyond the
     * pool.maxIdle parked last on each server (shared out over the event loops that park connections): after a burst
     * of logins or statements the pool shrinks within a second or two to what a quiet moment needs, and keeps that
     * many for the next statements until pool.idleTimeout.
     */
    private void sweep(LoopIdle li) {
        long limit = settings().idleTimeout().toNanos();
        long trim = settings().idleTrim().toNanos();
        int keep = (settings().maxIdle() + loops.size() - 1) / Math.max(1, loops.size());
        long now = System.nanoTime();
        for (ArrayDeque<Parked> q : li.idle.values()) {
            while (!q.isEmpty()) { // oldest first
                long idle = now - q.peekFirst().since;
                if (idle <= limit && (q.size() <= keep || idle <= trim)) {
                    break;
                }
                Parked p = q.pollFirst();
                li.count.decrementAndGet();
                p.b.close();
            }
        }
        li.readers.removeIf(r -> {
            try {
                return !r.closeIdleReader(now, limit);
            } catch (RuntimeException e) { // one session's failure must not stop the loop's sweep
                log.warn("closing an idle split-reads connection of {} failed: {}", r, e.toString());
                return true;
            }
        });
    }

    /**
     * Whether a session may still be routed to {@code e}: a read-write session only to the source; a read-port
     * session to a replica that serves reads, or to the source (reads.fallback source, a causal read's timeout).
     */
    private boolean routable(Endpoint e, boolean readOnly) {
        return e.equals(server.source()) || (readOnly && server.readPool().serves(e));
    }

    /**
     * The route changed (the source routed now is {@code source}): idle connections no session may be routed to any
     * more close (a read-write session's to every server but the source; a read-port session's to the new source,
     * which no longer serves as a replica, and to servers that do not serve reads), and statements waiting for a
     * connection to such a server ask the router again.
     */
    void routeChanged(Endpoint source) {
        for (LoopIdle li : loops.values()) {
            li.loop.execute(() -> {
                for (Map.Entry<Endpoint, ArrayDeque<Parked>> en : li.idle.entrySet()) {
                    for (Iterator<Parked> it = en.getValue().iterator(); it.hasNext(); ) {
                        Parked p = it.next();
                        if (!p.b.readOnly() ? !en.getKey().equals(source)
                                : en.getKey().equals(source) || !server.readPool().serves(en.getKey())) {
                            it.remove();
                            li.count.decrementAndGet();
                            p.b.close();
                        }
                    }
                }
            });
        }
        for (Map.Entry<Endpoint, Slots> en : slots.entrySet()) {
            for (Waiter w : en.getValue().waiters) {
                boolean stale = !w.session.readOnly() ? !en.getKey().equals(source)
                        : en.getKey().equals(source) || !server.readPool().serves(en.getKey());
                if (stale && en.getValue().waiters.remove(w)) {
                    w.finish(Outcome.RETRY, null);
                }
            }
        }
    }

    /**
     * A session's connection to {@code e} on {@code loop} ended under its statement, which runs again: the idle ones
     * parked there before are suspect (a crashed server's resets may not all have arrived yet) and close, so that the
     * statement does not run on one of them and lose its server a second time for the same cause. On {@code loop}.
     */
    void closeIdle(EventLoop loop, Endpoint e) {
        LoopIdle li = loops.get(loop);
        ArrayDeque<Parked> q = li == null ? null : li.idle.get(e);
        while (q != null && closeOneIdle(li, e)) {
            // each closes, its slot back
        }
    }

    /** Idle connections now, all servers and loops. */
    int idle() {
        int n = 0;
        for (LoopIdle li : loops.values()) {
            n += li.count.get();
        }
        return n;
    }

    /** Statements waiting for a connection now. */
    int waiting() {
        int n = 0;
        for (Slots s : slots.values()) {
            n += s.waiters.size();
        }
        return n;
    }

    /** Servers with pool connections, and how many each has open. */
    Map<Endpoint, Integer> openByServer() {
        Map<Endpoint, Integer> m = new HashMap<>();
        for (Map.Entry<Endpoint, Slots> en : slots.entrySet()) {
            m.put(en.getKey(), en.getValue().open.get());
        }
        return m;
    }

    /** Closes every idle connection (the proxy stops). */
    void close() {
        for (LoopIdle li : loops.values()) {
            li.loop.execute(() -> {
                if (li.sweeper != null) {
                    li.sweeper.cancel(false);
                }
                for (ArrayDeque<Parked> q : li.idle.values()) {
                    for (Parked p : q) {
                        p.b.close();
                    }
                    q.clear();
                }
                li.count.set(0);
            });
        }
    }
}
