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
 */
public final class Gate {
    private volatile boolean open = true;
    private volatile String reason = "";
    private volatile long closedAtNanos;
    private final Set<Waiter> waiters = ConcurrentHashMap.newKeySet();
    private final AtomicLong closures = new AtomicLong();
    private final AtomicLong waitedNanos = new AtomicLong();

    public boolean isOpen() {
        return open;
    }

    public String reason() {
        return reason;
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
        for (Waiter w : waiters) {
            w.release(true);
        }
        return (System.nanoTime() - closedAtNanos) / 1_000_000;
    }

    /**
     * Parks a statement: {@code onOpen} runs on {@code loop} when the gate opens, {@code onTimeout}
     * if it has not opened within {@code maxWait}. Exactly one of them runs.
     */
    public Waiter await(EventExecutor loop, Duration maxWait, Runnable onOpen, Runnable onTimeout) {
        Waiter w = new Waiter(loop, onOpen, onTimeout);
        waiters.add(w);
        w.timer = loop.schedule(() -> w.release(false), maxWait.toNanos(), TimeUnit.NANOSECONDS);
        if (open) {
            w.release(true); // opened between the caller's check and the registration
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
