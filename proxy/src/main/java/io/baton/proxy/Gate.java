package io.baton.proxy;

import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.ScheduledFuture;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Holds new statements at statement boundaries while the source changes. A closed gate lets a
 * session that is inside a transaction go on (so it can commit), and holds the first statement of
 * everyone else, each at most {@code maxWait}; opening releases them all. Waiters run on their
 * session's event loop: nothing here blocks a thread.
 *
 * <p>In a cluster the gate also holds a node's right to route at all: a node that is {@link #fence fenced}
 * (it lost its coordinator) or whose lease has lapsed ({@link #renewLease}; checked on every statement,
 * so that a node that wakes from a pause never routes on what it knew before) holds every statement,
 * also inside a transaction, until it is unfenced. Standalone, there is no lease and no fence.
 */
public final class Gate {
    private volatile boolean open = true;
    private volatile String reason = "";
    private volatile long closedAtNanos;
    private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
    private final AtomicLong closures = new AtomicLong();
    private final AtomicLong waitedNanos = new AtomicLong();
    private volatile boolean fenced;
    private volatile String fenceReason = "";
    /** Whether routing needs a lease (a cluster node), and until when (System.nanoTime) the lease runs. */
    private volatile boolean leased;
    private volatile long leaseUntilNanos;

    /** New statements may go: the gate is open and this node may route. */
    public boolean isOpen() {
        return open && mayRoute();
    }

    /**
     * Whether a new statement may go now: this node may route, and the gate is open or the statement's session
     * is inside a transaction (a closed gate lets it finish; a fence does not). One lease check.
     */
    public boolean admits(boolean insideTransaction) {
        return (insideTransaction || open) && mayRoute();
    }

    /** This node may send statements at all: not fenced, and its lease (if it needs one) has not lapsed. */
    public boolean mayRoute() {
        return !fenced && (!leased || System.nanoTime() - leaseUntilNanos < 0);
    }

    public String reason() {
        if (fenced) {
            return fenceReason;
        }
        if (!mayRoute()) {
            return "this node's lease lapsed (no contact with its coordinator)";
        }
        return reason;
    }

    public boolean isFenced() {
        return fenced;
    }

    /** From now on routing needs a lease: none is held yet, so the node holds every statement until it is renewed. */
    public void requireLease() {
        leaseUntilNanos = System.nanoTime();
        leased = true;
    }

    /**
     * Extends a running lease to {@code untilNanos} (System.nanoTime; never shortens it). Returns false, and
     * changes nothing, if the lease had lapsed: the node may have missed a change, so it must fence, catch
     * up and then {@link #unfence(long)} with the new lease.
     */
    public synchronized boolean renewLease(long untilNanos) {
        if (System.nanoTime() - leaseUntilNanos >= 0) {
            return false;
        }
        if (untilNanos - leaseUntilNanos > 0) {
            leaseUntilNanos = untilNanos;
        }
        if (!waiters.isEmpty() && isOpen()) {
            releaseAll(); // a statement that saw the lease lapse in the instant before this renewal goes on
        }
        return true;
    }

    /** Nanoseconds the lease still runs (negative: lapsed that long ago); Long.MAX_VALUE without a lease. */
    public long leaseRemainingNanos() {
        return leased ? leaseUntilNanos - System.nanoTime() : Long.MAX_VALUE;
    }

    /** Holds every statement, also inside a transaction, until {@link #unfence}. */
    public synchronized void fence(String why) {
        if (!fenced) {
            fenceReason = why;
            fenced = true;
        }
    }

    /**
     * Lifts the fence with a fresh lease running until {@code leaseUntil} (System.nanoTime; ignored without
     * a lease); held statements proceed if the gate is open (the others go back to waiting for it).
     */
    public synchronized void unfence(long leaseUntil) {
        if (leased && leaseUntil - leaseUntilNanos > 0) {
            leaseUntilNanos = leaseUntil;
        }
        if (fenced) {
            fenced = false;
        }
        releaseAll();
    }

    public long closures() {
        return closures.get();
    }

    /** Total time statements spent waiting at the gate. */
    public long waitedNanos() {
        return waitedNanos.get();
    }

    public int waiting() {
        return waiters.size();
    }

    public synchronized void close(String why) {
        if (open) {
            reason = why;
            closedAtNanos = System.nanoTime();
            open = false;
            closures.incrementAndGet();
        }
    }

    /** Opens the gate; returns how long it was closed, in ms (0 if it was open). */
    public synchronized long open() {
        if (open) {
            return 0;
        }
        open = true;
        releaseAll();
        return (System.nanoTime() - closedAtNanos) / 1_000_000;
    }

    /**
     * Held statements look again: each runs its {@code onOpen} on its loop, where the session checks the
     * gate once more and waits again if it must.
     */
    private void releaseAll() {
        for (Waiter w : waiters) {
            w.release(true);
        }
    }

    /**
     * Parks a statement: {@code onOpen} runs on {@code loop} when the gate opens, {@code onTimeout}
     * if it has not opened within {@code maxWait}. Exactly one of them runs.
     */
    public Waiter await(EventExecutor loop, Duration maxWait, Runnable onOpen, Runnable onTimeout) {
        return await(loop, maxWait, onOpen, onTimeout, false);
    }

    /**
     * As {@link #await(EventExecutor, Duration, Runnable, Runnable)} for a statement of a session that is
     * {@code insideTransaction}: it waits only for this node to route again (a closed gate lets it finish
     * its transaction), so that is what the registration checks once more.
     */
    public Waiter await(EventExecutor loop, Duration maxWait, Runnable onOpen, Runnable onTimeout, boolean insideTransaction) {
        Waiter w = new Waiter(loop, onOpen, onTimeout);
        waiters.add(w);
        w.timer = loop.schedule(() -> w.release(false), maxWait.toNanos(), TimeUnit.NANOSECONDS);
        if (admits(insideTransaction)) {
            w.release(true); // opened (or unfenced) between the caller's check and the registration
        }
        return w;
    }

    /** A parked statement. */
    public final class Waiter {
        private final EventExecutor loop;
        private final Runnable onOpen;
        private final Runnable onTimeout;
        private final long since = System.nanoTime();
        private final AtomicBoolean done = new AtomicBoolean();
        private volatile ScheduledFuture<?> timer;

        private Waiter(EventExecutor loop, Runnable onOpen, Runnable onTimeout) {
            this.loop = loop;
            this.onOpen = onOpen;
            this.onTimeout = onTimeout;
        }

        void release(boolean opened) {
            if (!done.compareAndSet(false, true)) {
                return;
            }
            waiters.remove(this);
            waitedNanos.addAndGet(System.nanoTime() - since);
            ScheduledFuture<?> t = timer;
            if (t != null && opened) {
                t.cancel(false);
            }
            loop.execute(opened ? onOpen : onTimeout);
        }

        /** Drops the wait without running either action (the session closed). */
        public void cancel() {
            if (done.compareAndSet(false, true)) {
                waiters.remove(this);
                ScheduledFuture<?> t = timer;
                if (t != null) {
                    t.cancel(false);
                }
            }
        }
    }
}
