package io.baton.proxy;

import io.baton.protocol.Capabilities;
import io.netty.buffer.ByteBuf;
import java.util.regex.Pattern;

/**
 * A session's lease on a pooled server connection (docs/pool.md): whether the session may give its
 * connection back between statements and why not, when it does, and the previous statement's values a later
 * statement may read ({@code LAST_INSERT_ID()}, {@code ROW_COUNT()}, {@code FOUND_ROWS()}), kept so that they stay
 * right on whichever connection the session gets next. On the session's event loop.
 *
 * <p>What pins a session (it keeps its connection), decided from what the server reports first:
 * <ul>
 * <li>until the transaction ends: an open transaction (the status flags);</li>
 * <li>until COM_RESET_CONNECTION or a change of user: a change of session state the server reported that Baton
 *     cannot rebuild (session_track_state_change without a tracked variable or schema: user variables, SQL
 *     PREPARE, temporary tables, SET TRANSACTION for the next transaction), user variables in the text, temporary
 *     tables, GET_LOCK, LOCK TABLES, server-side prepared statements, LAST_INSERT_ID(expr);</li>
 * <li>until its next statement: the last statement left warnings or an error (SHOW WARNINGS, @@warning_count),
 *     or counted rows with SQL_CALC_FOUND_ROWS.</li>
 * </ul>
 */
final class BackendLease {
    private static final Pattern LAST_INSERT_ID_SET = Pattern.compile("\\bLAST_INSERT_ID\\s*\\(\\s*[^)\\s]",
            Pattern.CASE_INSENSITIVE);

    /** Statements whose effect lives in the connection and is not reported by the session tracker. */
    private static final Pattern STATEMENT_PINS = Pattern.compile(
            "(PREPARE\\s|XA\\s|HANDLER\\s|SET\\s+TRANSACTION\\s|FLUSH\\s.*\\b(?:READ\\s+LOCK|FOR\\s+EXPORT)\\b"
                    + "|LOCK\\s+INSTANCE\\s)", Pattern.DOTALL);

    private final ClientSession s;
    /**
     * The connection the previous statement ran on (its serial, 0: none): ROW_COUNT() and FOUND_ROWS() belong to it.
     * Not the object: an idle session would keep a closed connection's channel and buffers alive.
     */
    private long previous;
    private int previousUses;
    /** ROW_COUNT() and FOUND_ROWS() after the previous statement, as the server computed them there. */
    private long rowCount = -1;
    private long foundRows;
    /** The last statement left something its next statement may ask for on the same connection (why, or null). */
    private String holdForNext;
    /** The statement under way counts rows for FOUND_ROWS() (SQL_CALC_FOUND_ROWS). */
    private boolean calcFoundRows;
    /** Counts statements: a release scheduled for an idle period is dropped when a statement came since. */
    private volatile long stamp;
    private long idleSince;
    /** In its event loop's list of sessions to give their connection back when idle long enough. */
    private boolean releaseQueued;
    /** The connection was given back (the session is between statements without one, by choice). */
    private boolean released;
    /**
     * Between a KILL for this session and its answer (1), or while the session gives its connection back (-1): a
     * KILL must reach the server thread of this session, never one handed to another session meanwhile.
     */
    private final java.util.concurrent.atomic.AtomicInteger killGuard = new java.util.concurrent.atomic.AtomicInteger();

    BackendLease(ClientSession session) {
        this.s = session;
    }

    /** Whether this session's connection comes from the pool: pool.enabled (either port's sessions). */
    boolean pooled() {
        return s.server.pool().enabled();
    }

    boolean released() {
        return released && s.backend == null && s.phase == ClientSession.Phase.IDLE;
    }

    /**
     * The state a connection must have to serve this session with nothing to restore but LAST_INSERT_ID(): the port
     * (a read-port session's connection is read-only), user, schema, character set, the capabilities the responses
     * are shaped by, and the tracked session variables.
     */
    String key() {
        SessionState st = s.state();
        int shaping = s.capabilities & ~(Capabilities.CLIENT_SSL | Capabilities.CLIENT_COMPRESS);
        if (key != null && keyVersion == st.variablesVersion && keyCharset == st.characterSet && keyCaps == shaping
                && java.util.Objects.equals(keySchema, st.schema) && java.util.Objects.equals(keyUser, st.user)) {
            return key; // the common case: nothing changed since the last statement
        }
        String set = SessionReplay.setStatement(st.variables());
        // A read-port session's connections are read-only for the session (transaction_read_only): never another's.
        key = (s.readOnly() ? "r\u0001" : "") + st.user + '\u0001' + st.schema + '\u0001' + st.characterSet + '\u0001'
                + shaping + '\u0001'
                + (set == null ? "" : set);
        key = key.intern(); // one instance per state: the pool compares keys by identity first
        keyVersion = st.variablesVersion;
        keyCharset = st.characterSet;
        keyCaps = shaping;
        keySchema = st.schema;
        keyUser = st.user;
        return key;
    }

    /** The state key last built, and what it was built from. */
    private String key;
    private int keyVersion;
    private int keyCharset;
    private int keyCaps;
    private String keySchema;
    private String keyUser;

    /** Why this session keeps its connection now, or null when it may give it back. */
    String pinnedBecause() {
        if (!pooled()) {
            return "pool off";
        }
        SessionState st = s.state();
        if (st.inTransaction) {
            return "transaction";
        }
        String sticky = st.pinnedBecause();
        if (sticky != null) {
            return sticky;
        }
        String unmovable = st.unmovableReason();
        if (unmovable != null) {
            return unmovable.replace("the session has ", "").replace("the session holds ", "");
        }
        if (st.previousValueStatements > 0) {
            // Its execute reads the previous statement's values where it runs: they must be this connection's.
            return "prepared ROW_COUNT()/FOUND_ROWS()";
        }
        if (st.multiStatementsSet && st.multiStatements(s.capabilities)
                != ((s.capabilities & io.baton.protocol.Capabilities.CLIENT_MULTI_STATEMENTS) != 0)) {
            return "multi-statement option set"; // the connection runs them otherwise than its login: not for others
        }
        if (st.openCursors > 0) {
            return "open cursor"; // until the statements that opened them are closed or reset
        }
        if (s.relay.longDataPending()) {
            return "long data pending";
        }
        if (holdForNext != null) {
            return holdForNext;
        }
        BackendConnection b = s.backend;
        if (b != null && !b.tracksSession()) {
            return "no session tracker";
        }
        return null;
    }

    // ------------------------------------------------------------------------------ what a statement does

    /**
     * A COM_QUERY is about to go (payload text at {@code from}, {@code len} bytes, whole): what it does to the
     * session's pinning. Text inspection, after the server's own reports: user variables, LAST_INSERT_ID(expr).
     */
    void inspect(ByteBuf in, int from, int len, int found) {
        calcFoundRows = (found & ConnectionIds.CALC_FOUND_ROWS) != 0;
        if ((found & ConnectionIds.CALL_WORD) != 0) {
            s.exchange().call = true;
        }
        String why = textPin(in, from, len, found);
        if (why != null) {
            pinByText(why);
        }
    }

    /** A later statement of a multi-statement (text at {@code from}) pins by how it starts, as a first one would. */
    void inspectLater(ByteBuf in, int from, int len) {
        String why = textPin(in, from, len, 0);
        if (why != null) {
            pinByText(why);
        }
    }

    /**
     * Why the statement's text pins its session until a reset (the first rule that applies: a statement of
     * {@link #STATEMENT_PINS}, user variables, LAST_INSERT_ID(expr)), or null. {@code found}: what
     * {@link ConnectionIds#mentions} found in it.
     */
    static String textPin(ByteBuf in, int from, int len, int found) {
        int end = from + len;
        int i = StatementHead.skipLeading(in, from, end);
        int first = i < end ? in.getByte(i) | 0x20 : 0;
        if (mayPin(in, i, end, first)) {
            // FLUSH TABLES a, b, c WITH READ LOCK names its tables first: the whole head, not its first words.
            String head = in.toString(i, Math.min(end - i, StatementHead.LENGTH), java.nio.charset.StandardCharsets.US_ASCII)
                    .toUpperCase(java.util.Locale.ROOT);
            String why = !STATEMENT_PINS.matcher(head).lookingAt() ? null
                    : head.startsWith("PREPARE") ? "SQL prepared statements"
                    : head.startsWith("XA") ? "XA transaction" : head.startsWith("HANDLER") ? "open HANDLER"
                    : head.startsWith("FLUSH") ? "global read lock" : head.startsWith("LOCK") ? "backup lock"
                    : "SET TRANSACTION for the next transaction";
            if (why != null) {
                return why;
            }
        }
        if ((found & ConnectionIds.USER_VARIABLE) != 0 && ConnectionIds.userVariable(in, from, len)) {
            return "user variables";
        }
        if ((found & ConnectionIds.LAST_INSERT_ID) != 0
                && LAST_INSERT_ID_SET.matcher(in.toString(from, len, java.nio.charset.StandardCharsets.UTF_8)).find()) {
            return "LAST_INSERT_ID(expr)";
        }
        return null;
    }

    /**
     * Whether the statement at {@code i} may start with one of {@link #STATEMENT_PINS}' words: PRepare, XA, HAndler,
     * SET, FLush, LOck. Most statements (SELECT, SHOW, INSERT...) are ruled out here, before any String is made.
     */
    private static boolean mayPin(ByteBuf in, int i, int end, int first) {
        if (end - i < 3) {
            return false;
        }
        int second = in.getByte(i + 1) | 0x20;
        return switch (first) {
            case 'p' -> second == 'r';
            case 'x' -> second == 'a';
            case 'h' -> second == 'a';
            case 's' -> second == 'e' && (in.getByte(i + 2) | 0x20) == 't';
            case 'f' -> second == 'l';
            case 'l' -> second == 'o';
            default -> false;
        };
    }

    /**
     * A COM_STMT_EXECUTE of {@code ps} is about to go: the rules of {@link #inspect} for its text (SQL_CALC_FOUND_ROWS,
     * user variables, LAST_INSERT_ID(expr)...), as for a COM_QUERY, found once when it was prepared.
     */
    void executing(SessionState.PreparedStatement ps) {
        calcFoundRows = (ps.mentions & ConnectionIds.CALC_FOUND_ROWS) != 0;
        if (ps.pinsBecause != null) {
            pinByText(ps.pinsBecause);
        }
    }

    private void pinByText(String why) {
        s.state().pin(why);
        s.exchange().stateInText = true;
    }

    /** Whether the connection under this statement is not the one the previous statement ran on. */
    boolean connectionChanged() {
        BackendConnection b = s.backend;
        return (b == null ? 0 : b.serial) != previous || (b != null && b.uses != previousUses);
    }

    long rowCount() {
        return rowCount;
    }

    long foundRows() {
        return foundRows;
    }

    /**
     * Whether {@code command} is a statement: what clears the server's warnings and sets FOUND_ROWS(). COM_PING,
     * COM_STMT_PREPARE, COM_STMT_RESET and the like leave them as the last statement left them.
     */
    private static boolean statement(int command) {
        return command == io.baton.protocol.Command.COM_QUERY || command == io.baton.protocol.Command.COM_STMT_EXECUTE;
    }

    /** A command went to the server. */
    void started() {
        stamp++;
        released = false;
        BackendConnection b = s.backend;
        previous = b == null ? 0 : b.serial;
        previousUses = b == null ? 0 : b.uses;
    }

    /**
     * The response completed: what it leaves for the next statement. {@code rows} is the last result set's row count
     * (-1: the response was an OK or ERR), {@code affected} the OK's affected rows.
     */
    void responded(int command, boolean error, int warnings, long rows, long affected, boolean stateChangeUnexplained) {
        if (stateChangeUnexplained) {
            s.state().pin("session state the server reported");
        }
        if (s.exchange().call) {
            // A procedure's INSERTs change LAST_INSERT_ID() while CALL's OK says 0: asked before the connection goes.
            s.state().insertIdUnsure = true;
        }
        // As the server counts: any OK sets ROW_COUNT() to its affected rows (a COM_PING's too: 0), an error to -1.
        if (error) {
            rowCount = -1;
        } else if (rows >= 0) {
            rowCount = -1;
            foundRows = rows;
        } else if (affected >= 0) {
            rowCount = affected;
        }
        if (error || warnings > 0) {
            holdForNext = "warnings of the last statement";
        } else if (statement(command)) {
            holdForNext = calcFoundRows ? "SQL_CALC_FOUND_ROWS" : null;
        } // else a COM_PING, a prepare...: the last statement's warnings and FOUND_ROWS() stay the server's, held
        if (error || warnings > 0) {
            BackendConnection b = s.backend;
            if (b != null && b.isMariaDb()) {
                b.diagnostics = true; // MariaDB keeps them past statements that use no table: never shared again
            }
        }
    }

    // ------------------------------------------------------------------------------ giving the connection back

    /** The session is idle with its connection: it gives it back after pool.releaseDelay, at once if a statement waits. */
    void idle() {
        if (!pooled() || s.backend == null || s.phase != ClientSession.Phase.IDLE || pinnedBecause() != null) {
            return;
        }
        BackendConnection b = s.backend;
        long delay = s.server.settings().pool().releaseDelay().toNanos();
        if (delay <= 0 || s.server.pool().hasWaiters(b.endpoint())) {
            release();
            return;
        }
        idleSince = System.nanoTime();
        if (!releaseQueued) {
            // One ticker per event loop looks at the idle sessions (a timer per session and statement would cost
            // a wake-up each: measured 10 % more CPU per statement at 16 threads).
            releaseQueued = true;
            s.server.pool().releaseLater(this, s.ch.eventLoop());
        }
    }

    /** A KILL QUERY for the statement waiting now: the statements counted when it came (-1: none). */
    private volatile long interruptAt = -1;

    /** KILL QUERY while the session's statement waits for a connection (from another loop). */
    void interruptWaiting() {
        interruptAt = stamp;
    }

    /** The statement that waited was answered otherwise (refused): a KILL QUERY for it must not hit the next one. */
    void clearInterrupt() {
        interruptAt = -1;
    }

    /** Whether the statement about to start was killed while it waited (once). */
    boolean takeInterrupt() {
        long at = interruptAt;
        if (at < 0) {
            return false;
        }
        interruptAt = -1;
        return at == stamp;
    }

    /**
     * The loop's ticker: gives the connection back if the session has been idle for pool.releaseDelay. True while
     * the ticker must keep looking at this session.
     */
    boolean releaseIfDue(long now, long delay) {
        if (s.phase != ClientSession.Phase.IDLE || s.backend == null) {
            releaseQueued = false; // busy (or without a connection): the end of its next statement queues it again
            return false;
        }
        if (now - idleSince < delay) {
            return true;
        }
        releaseQueued = false;
        if (pinnedBecause() == null) {
            release();
        }
        return false;
    }

    /** Gives the connection back to the pool now (the session is idle and holds nothing that pins it). */
    void release() {
        if (s.in != null && s.in.isReadable()) {
            return; // the next command is here already: it runs on this connection
        }
        if (!killGuard.compareAndSet(0, -1)) {
            return; // a KILL for this session is on its way to its server thread: the connection stays
        }
        try {
            String key = key();
            BackendConnection b = s.link.detach();
            if (b == null) {
                return;
            }
            released = true;
            s.state().dropOwned(b);
            if (b.diagnostics) {
                b.close(); // MariaDB's warnings could surface in another session's SHOW WARNINGS
                return;
            }
            SessionState st = s.state();
            if (!st.insertIdUnsure) {
                s.server.pool().park(b, key, s);
                return;
            }
            // What LAST_INSERT_ID() holds is asked before the connection goes: the next one gets exactly that.
            capturing = true;
            ConnectionQuery.run(b, "SELECT LAST_INSERT_ID()",
                    s.server.settings().backendConnectTimeout().toMillis(), (value, error) -> {
                capturing = false;
                if (error == null) {
                    try {
                        st.lastInsertId = Long.parseLong(value.trim());
                        b.lastInsertId = st.lastInsertId;
                        st.insertIdUnsure = false;
                    } catch (NumberFormatException e) {
                        error = io.baton.protocol.MySqlError.ER_NET_READ_ERROR;
                    }
                }
                if (error == null) {
                    s.server.pool().park(b, key, s);
                } else {
                    b.close();
                }
                Runnable then = afterCapture;
                afterCapture = null;
                if (then != null) {
                    then.run();
                }
            });
        } finally {
            killGuard.set(0);
        }
    }

    /** LAST_INSERT_ID() is being read from the connection given back; the session's next connection waits for it. */
    private boolean capturing;
    private Runnable afterCapture;

    /** Whether the session waits for its last connection's LAST_INSERT_ID(); {@code then} runs once it is known. */
    boolean capturing(Runnable then) {
        if (!capturing) {
            return false;
        }
        afterCapture = then;
        return true;
    }

    /**
     * A KILL for this session is about to be sent (from another session's loop): the session keeps the connection it
     * holds until {@link #killAnswered}. False while it is giving it back (the KILL then sees no connection).
     */
    boolean guardForKill() {
        for (int i = 0; i < 3000; i++) {
            int v = killGuard.get();
            if (v >= 0 && killGuard.compareAndSet(v, v + 1)) {
                return true;
            }
            if (i < 1000) {
                Thread.onSpinWait(); // giving it back takes a few microseconds
            } else {
                Thread.yield(); // its thread may have been descheduled meanwhile
            }
        }
        return false;
    }

    /** A KILL was answered (or not sent): after the last one the session may give its connection back again. */
    void killAnswered() {
        if (killGuard.decrementAndGet() == 0 && s.ch != null) {
            s.ch.eventLoop().execute(this::idle);
        }
    }
}
