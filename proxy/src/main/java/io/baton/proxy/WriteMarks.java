package io.baton.proxy;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The writes Baton acknowledged, as GTID marks: per user and for all users (docs/reads.md). A commit's GTID comes
 * from its OK packet (session_track_gtids=OWN_GTID on MySQL, the last_gtid variable on MariaDB) and is recorded
 * before the OK goes on to the client, so a read that starts after the client has the OK finds it here. The causal
 * read levels wait until a replica covers the mark of the read's user (user) or of everyone (global).
 *
 * <p>When the source changes, the marks so far become the previous generation: commits that were lost with a crashed
 * source are on no server, and a read must not wait for them. The second replica measurement after the change
 * ({@link #measured}) caps the previous generation to what the servers have; the first one may have been taken before
 * the change. Bounded: one mark per user that wrote and per open session with split reads that wrote, each one
 * number per GTID stream.
 */
final class WriteMarks {

    private static final class Generation {
        final Map<String, GtidMark> users = new ConcurrentHashMap<>();
        final AtomicReference<GtidMark> all = new AtomicReference<>(GtidMark.EMPTY);

        void record(String user, GtidMark m) {
            users.merge(user, m, GtidMark::merge);
            all.accumulateAndGet(m, GtidMark::merge);
        }

        void recordOwn(String key, GtidMark m) {
            users.merge(key, m, GtidMark::merge);
        }

        GtidMark of(String user) {
            if (user == null) {
                return all.get();
            }
            GtidMark m = users.get(user);
            return m == null ? GtidMark.EMPTY : m;
        }

        Generation cappedBy(GtidMark have) {
            Generation g = new Generation();
            users.forEach((u, m) -> {
                GtidMark c = m.cappedBy(have);
                if (!c.isEmpty()) {
                    g.users.put(u, c);
                }
            });
            g.all.set(all.get().cappedBy(have));
            return g;
        }

        void addTo(Generation into) {
            users.forEach(into::recordOwn);
            into.all.accumulateAndGet(all.get(), GtidMark::merge);
        }
    }

    private volatile Generation current = new Generation();
    private volatile Generation previous;
    /** Measurements still to come before the previous generation is capped (0: capped, or nothing to cap). */
    private int measurementsToCap;

    /** A commit acknowledged to {@code user}; {@code tracked} is the tracker's text. Any thread. */
    void record(String user, String tracked) {
        GtidMark m = GtidMark.ofCommit(tracked);
        if (!m.isEmpty() && user != null) {
            current.record(user, m);
        }
    }

    /** A commit of one session (split reads: a session reads its own writes), kept apart from its user's. */
    void recordOwn(long session, String tracked) {
        GtidMark m = GtidMark.ofCommit(tracked);
        if (!m.isEmpty()) {
            current.recordOwn(ownKey(session), m);
        }
    }

    /** What a read of {@code session} must see of its own writes. */
    GtidMark requiredOwn(long session) {
        return required(ownKey(session));
    }

    /** The session ended: its own mark goes. */
    void forget(long session) {
        String key = ownKey(session);
        current.users.remove(key);
        Generation p = previous;
        if (p != null) {
            p.users.remove(key);
        }
    }

    /** A NUL cannot stand in a MySQL user name: a session's key never meets a user's. */
    private static String ownKey(long session) {
        return "\0session " + session;
    }

    /** What a read of {@code user} must see: that user's writes, or everyone's when {@code user} is null. */
    GtidMark required(String user) {
        GtidMark m = current.of(user);
        Generation p = previous;
        return p == null ? m : m.merge(p.of(user));
    }

    /** The routed source changed: what was acknowledged so far is capped by the next measurements. */
    synchronized void sourceChanged() {
        Generation p = previous;
        Generation old = current;
        current = new Generation();
        if (p != null) {
            old.addTo(p);
        } else {
            p = old;
        }
        previous = p;
        measurementsToCap = 2;
    }

    /** A measurement of the servers: {@code executed} is everything any of them has executed, stream by stream. */
    synchronized void measured(GtidMark executed) {
        if (previous == null || measurementsToCap == 0) {
            return;
        }
        if (--measurementsToCap == 0) {
            previous = previous.cappedBy(executed);
        }
    }
}
