package io.baton.proxy;

import io.baton.protocol.Command;
import io.baton.protocol.MySqlError;
import io.baton.proxy.routing.Endpoint;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * Reads split off the read-write port (proxy.splitReads, docs/reads.md). A session keeps its backend on the source
 * and, once it sends a plain read, a second one on a replica: opened read-only in the background with the session's
 * state rebuilt on it ({@link SessionReplay}), while that read still goes to the source. A later plain read outside a
 * transaction, with autocommit on, goes to that replica when it still serves reads, carries the session's state as it
 * is now, and is known to have every write the session's level needs (its own writes at least): the reader stands in
 * for the source backend until the response ends. Anything else, and whenever unsure, goes to the source; a read
 * never waits for a replica here, since the source is at hand. On the session's event loop.
 */
final class SplitReads implements BackendConnection.Listener {
    private final ClientSession s;
    /** The replica backend, ready; idle (its listener is this) or serving a read (the session's link). */
    private BackendConnection reader;
    /** The session's state the reader was built with. */
    private StateKey readerState;
    /** A reader being opened, and its attempt's number (a newer attempt or close drops an older one). */
    private BackendConnection opening;
    private int openGeneration;
    /** The session's source backend while a read runs on the reader. */
    private BackendConnection parked;
    /** After a failed open, no new attempt before this time (System.nanoTime), so reads do not each try one. */
    private long retryAfter;
    private static final long RETRY_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(1);
    /** Whether this session committed anything (its mark is then kept in {@link WriteMarks}). */
    private boolean wrote;
    /** Since when the reader is idle (System.nanoTime), and whether the pool's sweep watches it. */
    private long readerIdleSince;
    private boolean watched;

    /** The state a backend must carry to answer as the session's own would. */
    private record StateKey(String user, String schema, int characterSet, Map<String, String> variables) {
        static StateKey of(SessionState st) {
            return new StateKey(st.user, st.schema, st.characterSet, new java.util.HashMap<>(st.variables()));
        }

        /** Whether {@code st} is still this state (no copy: asked before every split read). */
        boolean matches(SessionState st) {
            return Objects.equals(user, st.user) && Objects.equals(schema, st.schema) && characterSet == st.characterSet
                    && variables.equals(st.variables());
        }
    }

    SplitReads(ClientSession session) {
        this.s = session;
    }

    /** The session committed {@code gtid} (the tracker's text). */
    void committed(String gtid) {
        s.server.writeMarks().recordOwn(s.id(), gtid); // capped there after a source change, as the others
        wrote = true;
    }

    /**
     * Before the client's next command on {@code source} (the session's backend, ready): true when it goes to the
     * reader instead, which is then the session's backend until the response ends.
     */
    boolean divert(BackendConnection source, int cmd, ByteBuf in, int sql, int len, boolean whole) {
        SessionState state = s.state();
        if (cmd != Command.COM_QUERY || !whole || len <= 0 || state.inTransaction || !state.autocommit
                || parked != null || s.txLog.lostAt() != null || state.unmovableReason() != null
                || !startsLikeARead(in, sql, len)) {
            return false;
        }
        if (!ReadStatements.splittable(in.toString(sql, len, StandardCharsets.UTF_8))) {
            return false;
        }
        ReadPool pool = s.server.readPool();
        BackendConnection r = reader;
        if (r == null || !r.isReady() || !pool.serves(r.endpoint()) || !readerState.matches(state)) {
            dropReader();
            open(pool);
            return false; // this one on the source; the reader is for the next
        }
        GtidMark want = required(state);
        if (!want.isEmpty() && !pool.covers(r.endpoint(), want)) {
            s.server.metrics().readReason("consistency_source");
            return false;
        }
        parked = source;
        s.backend = r;
        r.listener(s.link);
        s.server.metrics().read(r.endpoint().name());
        return true;
    }

    /** The writes a read of this session must see: its own, and its user's or everyone's at those levels. */
    private GtidMark required(SessionState state) {
        GtidMark own = wrote ? s.server.writeMarks().requiredOwn(s.id()) : GtidMark.EMPTY;
        return switch (s.consistency()) {
            case USER -> own.merge(s.server.writeMarks().required(state.user));
            case GLOBAL -> own.merge(s.server.writeMarks().required(null));
            default -> own; // session, and eventual, which on the read-write port still sees the session's own writes
        };
    }

    /** A cheap look before building the statement's text: it must start (after blanks) with S or s, or a comment. */
    private static boolean startsLikeARead(ByteBuf in, int at, int len) {
        for (int i = at; i < at + len; i++) {
            byte b = in.getByte(i);
            if (b == ' ' || b == '\t' || b == '\n' || b == '\r') {
                continue;
            }
            return b == 'S' || b == 's' || b == '/' || b == '-' || b == '#' || b == '(';
        }
        return false;
    }

    /** The response ended: the source backend is the session's again, the reader idle. */
    void responseComplete() {
        if (parked == null) {
            return;
        }
        BackendConnection r = s.backend;
        s.backend = parked;
        parked = null;
        if (r != null && r.isReady() && r == reader) {
            r.listener(this);
            readerIdle();
        } else if (r != null) {
            r.close();
            reader = null;
        }
    }

    /**
     * {@code b} was lost. True when it was the reader serving a read: the source backend is the session's again (the
     * caller then treats the read in flight as lost, so it runs again on the source if nothing of it came back).
     */
    boolean readerLost(BackendConnection b) {
        if (parked == null || b != s.backend) {
            return false;
        }
        s.backend = parked;
        parked = null;
        reader = null;
        return true;
    }

    private void open(ReadPool pool) {
        if (opening != null || (retryAfter != 0 && System.nanoTime() - retryAfter < 0)) {
            return;
        }
        Endpoint e = pool.pick();
        if (e == null) {
            return;
        }
        int generation = ++openGeneration;
        StateKey key = StateKey.of(s.state());
        opening = BackendConnection.open(s.ch.eventLoop(), e, s.backendLogin(true), s.server.settings(),
                s.server.backendTls(), new SessionReplay(s.state(), false, r -> opened(r, key, generation))
                        .bounded(s.server.settings().backendConnectTimeout()));
    }

    private void opened(SessionReplay.Result r, StateKey key, int generation) {
        if (generation != openGeneration || s.phase == ClientSession.Phase.CLOSED) {
            if (r.ok()) {
                r.backend().close();
            }
            return;
        }
        opening = null;
        if (!r.ok()) {
            retryAfter = System.nanoTime() + RETRY_NANOS; // reads go on on the source meanwhile
            return;
        }
        retryAfter = 0;
        reader = r.backend();
        readerState = key;
        reader.listener(this);
        readerIdle();
    }

    /**
     * The reader is idle from now: with the pool on, the pool's sweep closes it once idle pool.idleTimeout, so that
     * idle sessions hold no replica connection (the next plain read goes to the source and opens one again).
     */
    private void readerIdle() {
        readerIdleSince = System.nanoTime();
        if (!watched && s.server.pool().enabled()) {
            watched = true;
            s.server.pool().watchIdleReader(this, s.ch.eventLoop());
        }
    }

    /**
     * The pool's sweep (on the session's loop): closes the reader if it has been idle {@code limit} nanoseconds;
     * false once there is no reader left to watch.
     */
    boolean closeIdleReader(long now, long limit) {
        if (reader == null || s.phase == ClientSession.Phase.CLOSED) {
            watched = false;
            return false;
        }
        if (parked != null || reader == s.backend || now - readerIdleSince < limit) {
            return true; // serving a read, or not idle long enough
        }
        dropReader();
        watched = false;
        return false;
    }

    private void dropReader() {
        BackendConnection r = reader;
        reader = null;
        readerState = null;
        if (r != null) {
            r.close();
        }
    }

    /** The session ends: its reader, a reader being opened, and a parked source backend go with it. */
    void close() {
        if (wrote) {
            s.server.writeMarks().forget(s.id());
            wrote = false;
        }
        openGeneration++;
        if (opening != null) {
            opening.close();
            opening = null;
        }
        BackendConnection p = parked;
        parked = null;
        if (p != null) {
            p.close();
        }
        if (reader != s.backend) {
            dropReader();
        }
    }

    // The idle reader's events.

    @Override
    public void backendClosed(BackendConnection b) {
        if (b == reader && b != s.backend) {
            reader = null;
        }
    }

    @Override
    public void backendRead(BackendConnection b, ByteBuf msg) {
        msg.release(); // an idle reader has nothing to say (a server closing it for inactivity says why)
    }

    @Override
    public void backendReady(BackendConnection b) {
        // handed over ready
    }

    @Override
    public void backendFailed(BackendConnection b, MySqlError error) {
        if (b == reader) {
            reader = null;
        }
    }

    @Override
    public void backendReadComplete(BackendConnection b) {
        // The reader is handed back while its read's last bytes are relayed (the response ended inside that read):
        // what went to the client is flushed here, as the session's link would.
        s.ch.flush();
    }

    @Override
    public void backendWritabilityChanged(BackendConnection b) {
        // idle
    }

    @Override
    public String toString() {
        return "split reads of session " + s.id() + (reader == null ? "" : " on " + Objects.toString(reader.endpoint()));
    }
}
