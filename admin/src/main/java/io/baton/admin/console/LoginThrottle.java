package io.baton.admin.console;

import java.util.ArrayDeque;
import java.util.Deque;

/**
 * The delay before the answer to a wrong password: it doubles with each failure on the connection
 * (200 ms, 400 ms, 800 ms, ...) and also with the failures of every connection in the last minute
 * (one doubling per {@link #GLOBAL_STEP} of them), so that opening new connections does not reset
 * it; never more than {@link #MAX_DELAY_MILLIS}. After {@link #MAX_PER_CONNECTION} failures the
 * connection is closed. The delay is slept by the session's own thread: nothing else waits.
 */
final class LoginThrottle {
    static final long BASE_DELAY_MILLIS = 200;
    static final long MAX_DELAY_MILLIS = 10_000;
    static final int MAX_PER_CONNECTION = 5;
    static final int GLOBAL_STEP = 4;
    private static final long WINDOW_NANOS = 60_000_000_000L;

    private final Deque<Long> recent = new ArrayDeque<>();

    /** Records a failure and returns how long to wait before answering it. */
    long failed(int failuresOnConnection) {
        int global;
        synchronized (this) {
            long now = System.nanoTime();
            recent.addLast(now);
            while (!recent.isEmpty() && now - recent.peekFirst() > WINDOW_NANOS) {
                recent.removeFirst();
            }
            if (recent.size() > 10_000) {
                recent.removeFirst(); // bounded memory; the delay is at its cap long before this
            }
            global = recent.size();
        }
        return delayMillis(failuresOnConnection, global);
    }

    static long delayMillis(int failuresOnConnection, int recentEverywhere) {
        int doublings = Math.max(failuresOnConnection - 1, (recentEverywhere - 1) / GLOBAL_STEP);
        return Math.min(MAX_DELAY_MILLIS, BASE_DELAY_MILLIS << Math.min(Math.max(doublings, 0), 16));
    }
}
