package io.baton.proxy;

import io.baton.protocol.Command;
import io.baton.protocol.MySqlError;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ResponseFramer;
import io.baton.protocol.message.ErrPacket;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Brings a fresh backend connection to a session's state before the session takes it over: its
 * tracked session variables in one SET, then every prepared statement re-prepared (pipelined, one
 * round trip in all). The new server ids are recorded; the client keeps the ids it knows.
 * Schema and character set travel in the login itself.
 */
final class SessionReplay implements BackendConnection.Listener {
    private static final Logger log = LoggerFactory.getLogger(SessionReplay.class);
    /** Variables Baton sets itself, or that the server derives and refuses to have set. */
    /** Whether {@code name} is a session variable Baton sets again on another connection. */
    static boolean replayed(String name) {
        return !NOT_REPLAYED.contains(name) && plainName(name);
    }

    /** [a-z0-9_]+: a name Baton writes into a SET as it is (a loop: this runs for every variable of every state key). */
    private static boolean plainName(String name) {
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_')) {
                return false;
            }
        }
        return !name.isEmpty();
    }

    private static final Set<String> NOT_REPLAYED = Set.of("session_track_schema", "session_track_system_variables",
            "session_track_state_change", "session_track_transaction_info", "session_track_gtids",
            "character_set_system", "transaction_read_only_placeholder");

    /** How a replay ended. */
    record Result(BackendConnection backend, MySqlError error, List<String> warnings, boolean lost) {
        Result(BackendConnection backend, MySqlError error, List<String> warnings) {
            this(backend, error, warnings, false);
        }

        boolean ok() {
            return error == null;
        }
    }

    private final SessionState state;
    private final Consumer<Result> done;
    private final boolean statements;
    private final ResponseFramer framer = new ResponseFramer();
    private final List<Step> steps = new ArrayList<>();
    private final List<String> warnings = new ArrayList<>();
    private int current;
    private ByteBuf cum;
    private boolean finished;

    /** One replayed command: a SET or the re-prepare of one statement. */
    private record Step(int command, String sql, SessionState.PreparedStatement statement) {
    }

    SessionReplay(SessionState state, Consumer<Result> done) {
        this(state, true, done);
    }

    /**
     * With {@code statements} false only the session variables are replayed: for a second backend that answers plain
     * reads beside the session's own (SplitReads), whose prepared statements must keep their server ids.
     */
    SessionReplay(SessionState state, boolean statements, Consumer<Result> done) {
        this(state, statements, false, done);
    }

    /** With {@code lastInsertIdOnly}: a pooled connection already in the session's state but LAST_INSERT_ID(). */
    private SessionReplay(SessionState state, boolean statements, boolean lastInsertIdOnly, Consumer<Result> done) {
        this.state = state;
        this.statements = statements;
        this.lastInsertIdOnly = lastInsertIdOnly;
        this.done = done;
    }

    /** Sets LAST_INSERT_ID() to the session's on a pooled connection that has the rest of its state. */
    static SessionReplay lastInsertId(SessionState state, Consumer<Result> done) {
        return new SessionReplay(state, false, true, done);
    }

    /**
     * Runs {@code sql} (one SET) on a pooled connection a login takes, to bring it to a new session's state; an ERR,
     * or an OK with warnings, is an error (the connection is closed).
     */
    static SessionReplay statement(SessionState state, String sql, Consumer<Result> done) {
        SessionReplay r = new SessionReplay(state, false, false, done);
        r.sqlOnly = sql;
        return r;
    }

    private String sqlOnly;

    /** Prepares one statement of a pooled session on the connection it runs on now, the first time it runs there. */
    static SessionReplay prepare(SessionState state, SessionState.PreparedStatement ps, String key, Consumer<Result> done) {
        SessionReplay r = new SessionReplay(state, false, false, done);
        r.only = ps;
        r.shared = true;
        r.key = key;
        return r;
    }

    /** The session's state key, recorded with statements prepared for a pooled session. */
    SessionReplay key(String k) {
        this.key = k;
        return this;
    }

    private String key;

    /** With the pool on: statements prepared are recorded on the connection, which sessions of its state share. */
    SessionReplay shared(boolean on) {
        this.shared = on;
        return this;
    }

    private final boolean lastInsertIdOnly;
    private SessionState.PreparedStatement only;
    private boolean shared;

    static String setStatement(Map<String, String> variables) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> v : variables.entrySet()) {
            String name = v.getKey().toLowerCase(Locale.ROOT);
            if (NOT_REPLAYED.contains(name) || !plainName(name)) {
                continue;
            }
            sb.append(sb.length() == 0 ? "SET SESSION " : ", ").append(name).append(" = ").append(literal(name, v.getValue()));
        }
        return sb.length() == 0 ? null : sb.toString();
    }

    /** -?[0-9]+(.[0-9]+)?: written into a SET unquoted (a loop: this runs for every variable of every state key). */
    static boolean number(String v) {
        int i = v.startsWith("-") ? 1 : 0;
        int digits = 0;
        while (i < v.length() && v.charAt(i) >= '0' && v.charAt(i) <= '9') {
            i++;
            digits++;
        }
        if (digits == 0) {
            return false;
        }
        if (i == v.length()) {
            return true;
        }
        if (v.charAt(i++) != '.' || i == v.length()) {
            return false;
        }
        while (i < v.length() && v.charAt(i) >= '0' && v.charAt(i) <= '9') {
            i++;
        }
        return i == v.length();
    }

    private static String literal(String name, String value) {
        if (value == null || (value.isEmpty() && name.startsWith("character_set_"))) {
            return "NULL";
        }
        if (number(value)) {
            return value;
        }
        return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'";
    }

    @Override
    public void backendReady(BackendConnection b) {
        if (only != null) {
            steps.add(new Step(Command.COM_STMT_PREPARE, only.sql, only));
            send(b);
            return;
        }
        if (sqlOnly != null) {
            steps.add(new Step(Command.COM_QUERY, sqlOnly, null));
            send(b);
            return;
        }
        String set = lastInsertIdOnly ? null : setStatement(state.variables());
        if (state.lastInsertId != 0 || lastInsertIdOnly) {
            // LAST_INSERT_ID() answers what the session's own last insert generated, on any connection.
            String id = "last_insert_id = " + state.lastInsertId;
            set = set == null ? "SET SESSION " + id : set + ", " + id;
        }
        if (set != null) {
            steps.add(new Step(Command.COM_QUERY, set, null));
        }
        for (SessionState.PreparedStatement ps : statements ? state.statements()
                : java.util.List.<SessionState.PreparedStatement>of()) {
            steps.add(new Step(Command.COM_STMT_PREPARE, ps.sql, ps));
        }
        send(b);
    }

    private void send(BackendConnection b) {
        if (steps.isEmpty()) {
            finish(b, null);
            return;
        }
        for (Step s : steps) {
            byte[] sql = s.sql().getBytes(StandardCharsets.UTF_8);
            ByteBuf out = b.channel().alloc().buffer(Packets.HEADER_SIZE + 1 + sql.length);
            int h = Packets.reserveHeader(out);
            out.writeByte(s.command());
            out.writeBytes(sql);
            Packets.finishFrames(out, h, 0);
            b.channel().write(out);
        }
        b.channel().flush();
        framer.begin(steps.get(0).command(), b.capabilities());
        if (bound != null && steps.get(0).command() == Command.COM_QUERY) {
            watch(b);
        }
    }

    private ScheduledFuture<?> deadline;
    /** The bound on the server's answers to Baton's SET (limits.backendConnectTimeout as the proxy runs now). */
    private java.time.Duration bound;

    /** The bound on the server's answers to Baton's own SET statements: every replay that sends one is given one. */
    SessionReplay bounded(java.time.Duration d) {
        this.bound = d;
        return this;
    }

    /**
     * Bounds the wait for the answers to Baton's own SET statements (a login's reset, the session's variables,
     * last_insert_id), which nothing on a server makes wait: no answer for limits.backendConnectTimeout (a server that
     * hangs, or a pooled connection whose peer went away silently while it was parked) ends the replay as a lost
     * connection, so the session takes another one instead of waiting for TCP to give up. The SET is the first step;
     * once it is answered the bound ends: a prepare may rightly wait for a table's metadata lock (an ALTER TABLE under
     * way), as the client's own prepare would, and is not cut off.
     */
    private void watch(BackendConnection b) {
        long limit = bound.toNanos();
        deadline = b.channel().eventLoop().schedule(() -> {
            if (finished || current > 0) {
                return; // done, or the SET was answered and only prepares are left
            }
            if (!b.isReady()) {
                return; // Baton closed it itself (the session ended, the move was abandoned): its owner moved on
            }
            log.info("backend {} (thread {}): no answer to Baton's {} within {} ms (limits.backendConnectTimeout): the"
                    + " connection is closed and the session takes another", b.endpoint(), b.threadId(), what(),
                    limit / 1_000_000);
            lost = true;
            finish(b, MySqlError.CR_SERVER_LOST.withMessage("Lost connection to " + b.endpoint() + ": no answer within "
                    + limit / 1_000_000 + " ms"));
        }, limit, TimeUnit.NANOSECONDS);
    }

    /** What this replay sends, for the log. */
    private String what() {
        if (sqlOnly != null) {
            return "reset of a pooled connection for a login";
        }
        return lastInsertIdOnly ? "SET last_insert_id" : "SET of the session's variables";
    }

    @Override
    public void backendRead(BackendConnection b, ByteBuf msg) {
        if (finished) {
            msg.release();
            return;
        }
        cum = cum == null ? msg : BackendConnection.append(b.channel().alloc(), cum, msg);
        try {
            while (!finished) {
                int frame = Packets.completeFrameLength(cum, cum.readerIndex(), Packets.MAX_PAYLOAD);
                if (frame < 0) {
                    break;
                }
                int at = cum.readerIndex();
                ResponseFramer.Step step = framer.onFrame(cum, at);
                Step s = steps.get(current);
                if (framer.packetKind() == ResponseFramer.PacketKind.ERR) {
                    ErrPacket err = ErrPacket.decode(cum.slice(at + Packets.HEADER_SIZE, frame - Packets.HEADER_SIZE), b.capabilities());
                    if (sqlOnly != null) {
                        // A login's reset that did not apply (a multi-variable SET applies all or nothing): the
                        // connection is not what a new login gives.
                        cum.skipBytes(frame);
                        finish(b, MySqlError.of(err.errno(), "resetting a pooled connection on " + b.endpoint()
                                + " failed: " + err.message()));
                        return;
                    }
                    if (s.statement() != null) {
                        cum.skipBytes(frame);
                        finish(b, MySqlError.of(err.errno(), "a prepared statement could not be prepared again on "
                                + b.endpoint() + ": " + err.message()));
                        return;
                    }
                    warnings.add("session variables not replayed on " + b.endpoint() + ": " + err.message());
                }
                cum.skipBytes(frame);
                if (step == ResponseFramer.Step.COMPLETE && sqlOnly != null && framer.warnings() > 0) {
                    // Its warnings would answer the new session's first SHOW WARNINGS.
                    finish(b, MySqlError.of(1105, "resetting a pooled connection on " + b.endpoint() + " left "
                            + framer.warnings() + " warning(s)"));
                    return;
                }
                if (step == ResponseFramer.Step.COMPLETE) {
                    if (s.statement() != null) {
                        s.statement().serverId = framer.preparedStatementId();
                        s.statement().typesSent = false;
                        if (shared) {
                            b.prepared(s.statement().sql, framer.preparedStatementId(), key);
                        }
                    }
                    if (++current == steps.size()) {
                        finish(b, null);
                        return;
                    }
                    framer.begin(steps.get(current).command(), b.capabilities());
                }
            }
        } catch (ProtocolException e) {
            finish(b, e.error());
        } finally {
            if (cum != null && !cum.isReadable()) {
                cum.release();
                cum = null;
            }
        }
    }

    private void finish(BackendConnection b, MySqlError error) {
        if (finished) {
            return;
        }
        finished = true;
        if (deadline != null) {
            deadline.cancel(false);
            deadline = null;
        }
        if (cum != null) {
            cum.release();
            cum = null;
        }
        for (String w : warnings) {
            log.warn("{}", w);
        }
        if (error != null && (only == null || lost)) {
            b.close();
        } else if (error == null && only == null) {
            b.lastInsertId = state.lastInsertId;
        }
        // One statement prepared for a pooled session: a server's refusal leaves the connection as it was.
        done.accept(new Result(error == null || (only != null && !lost) ? b : null, error, warnings, lost));
    }

    /** The connection itself was lost (not a server's refusal of one step). */
    private boolean lost;

    @Override
    public void backendFailed(BackendConnection b, MySqlError error) {
        lost = true;
        finish(b, error);
    }

    @Override
    public void backendReadComplete(BackendConnection b) {
        // nothing to flush towards a client during the replay
    }

    @Override
    public void backendClosed(BackendConnection b) {
        lost = true;
        finish(b, MySqlError.CR_SERVER_LOST.withMessage("Lost connection to " + b.endpoint() + " while moving the session"));
    }

    @Override
    public void backendWritabilityChanged(BackendConnection b) {
        // the replay writes a few small packets only
    }
}
