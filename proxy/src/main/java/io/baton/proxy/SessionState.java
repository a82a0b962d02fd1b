package io.baton.proxy;

import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a move of a session to another server must carry: schema, character set, autocommit,
 * transaction state, session variables (from the server's session tracker), prepared statements,
 * and whether the session holds state that cannot move. Touched only on the session's event loop.
 */
public final class SessionState {
    private static final Pattern PREVIOUS_VALUE_CALL = Pattern.compile("(?<![\\w$])(?:ROW_COUNT|FOUND_ROWS)\\s*\\(",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern TEMPORARY_TABLE = Pattern.compile("^\\s*CREATE\\s+TEMPORARY\\s+TABLE", Pattern.CASE_INSENSITIVE);
    /** GET_LOCK anywhere, a comment before its parenthesis too: a mention taken for a call errs on the side of a lock. */
    private static final Pattern NAMED_LOCK = Pattern.compile("\\bGET_LOCK\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern RELEASE_WORD = Pattern.compile("\\bRELEASE_ALL_LOCKS\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern RELEASE_LOCKS = Pattern.compile("\\bRELEASE_ALL_LOCKS\\s*\\(", Pattern.CASE_INSENSITIVE);
    private static final Pattern LOCK_TABLES = Pattern.compile("^\\s*LOCK\\s+TABLES?\\b", Pattern.CASE_INSENSITIVE);
    private static final Pattern UNLOCK_TABLES = Pattern.compile("^\\s*UNLOCK\\s+TABLES?\\b", Pattern.CASE_INSENSITIVE);

    String user;
    String schema;
    int characterSet;
    boolean autocommit = true;
    volatile boolean inTransaction;
    private final Map<String, String> variables = new LinkedHashMap<>();
    private final Map<Integer, PreparedStatement> statements = new HashMap<>();
    private int nextStatementId = 1;
    private boolean temporaryTables;
    private boolean namedLocks;
    private boolean lockedTables;
    /** Why the session keeps its pooled connection until it is reset (state Baton cannot rebuild), or null. */
    private String pinned;
    /** What LAST_INSERT_ID() answers in this session: the first id its last id-generating insert produced. */
    long lastInsertId;
    /**
     * An OK reported an insert id since LAST_INSERT_ID() was last read from the server: an explicit value inserted into
     * an AUTO_INCREMENT column is reported the same way and does not change LAST_INSERT_ID(), so the value is asked
     * for before the connection is given back (BackendLease).
     */
    boolean insertIdUnsure;

    /** A server-side prepared statement as the client knows it, and where it lives now. */
    public static final class PreparedStatement {
        final int clientId;
        int serverId;
        final String sql;
        final int params;
        final int columns;
        /** Parameter types of the last execute that sent them (new-params-bound flag 1), or null. */
        byte[] types;
        /** False after a move until the new server has been sent the types once. */
        boolean typesSent = true;
        /**
         * Pooled: the server statement it holds alone on a connection, once it keeps something there that another
         * statement of the same text would break if they shared one (an open cursor, parameters sent as long data):
         * its server id, and the connection's serial and statement epoch (0: none).
         */
        int ownId;
        long ownOn;
        int ownEpoch;
        /** Pooled: an execute of it asked for a cursor, not closed since (COM_STMT_CLOSE, COM_STMT_RESET, a reset). */
        boolean cursorOpen;

        /** Whether it holds a server statement of its own on {@code b} ({@link #ownId}). */
        boolean ownedOn(BackendConnection b) {
            return b != null && ownOn == b.serial && ownEpoch == b.statementEpoch;
        }
        /** Its text may CALL a procedure ({@link ConnectionIds#CALL_WORD}): a state change it reports is never explained. */
        final boolean call;
        /**
         * What its text mentions ({@link ConnectionIds#mentions}: user variables, LAST_INSERT_ID, SQL_CALC_FOUND_ROWS,
         * ROW_COUNT()/FOUND_ROWS()...), found once when it is prepared: each execute applies the rules of a COM_QUERY
         * with that text.
         */
        final int mentions;
        /** What its text does to state that cannot move ({@link SessionState#headEffects}), found once: 0 for most. */
        final int headEffects;
        /** Why its text pins a pooled session until a reset ({@link BackendLease#textPin}), found once, or null. */
        final String pinsBecause;

        PreparedStatement(int clientId, int serverId, String sql, int params, int columns) {
            this.clientId = clientId;
            this.serverId = serverId;
            this.sql = sql;
            this.params = params;
            this.columns = columns;
            byte[] b = sql == null ? new byte[0] : sql.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            io.netty.buffer.ByteBuf text = io.netty.buffer.Unpooled.wrappedBuffer(b);
            this.mentions = ConnectionIds.mentions(text, 0, b.length);
            this.call = (mentions & ConnectionIds.CALL_WORD) != 0;
            // The byte-level flag also sees SQL_CALC_FOUND_ROWS: the functions themselves are asked for here.
            this.readsPreviousValues = (mentions & ConnectionIds.PREVIOUS_VALUES) != 0
                    && PREVIOUS_VALUE_CALL.matcher(sql).find();
            if (StatementHead.mayChangeUnmovableState(text, 0, b.length)) {
                int at = StatementHead.skipLeading(text, 0, b.length);
                String from = sql.substring(new String(b, 0, at, java.nio.charset.StandardCharsets.UTF_8).length());
                int head = headEffects(from.length() > StatementHead.LENGTH ? from.substring(0, StatementHead.LENGTH) : from);
                this.headEffects = (mentions & ConnectionIds.NAMED_LOCKS) != 0
                        ? withNamedLocks(head, namedLockEffects(sql)) : head;
            } else {
                this.headEffects = (mentions & ConnectionIds.NAMED_LOCKS) != 0 ? namedLockEffects(sql) : 0;
            }
            this.pinsBecause = b.length == 0 ? null : BackendLease.textPin(text, 0, b.length, mentions);
        }

        /** It reads the previous statement's ROW_COUNT() or FOUND_ROWS(), which a prepared text cannot be given. */
        boolean readsPreviousValues() {
            return readsPreviousValues;
        }

        private final boolean readsPreviousValues;

        public int clientId() {
            return clientId;
        }

        public int serverId() {
            return serverId;
        }

        public String sql() {
            return sql;
        }
    }

    public String user() {
        return user;
    }

    public String schema() {
        return schema;
    }

    public boolean inTransaction() {
        return inTransaction;
    }

    public Map<String, String> variables() {
        return Collections.unmodifiableMap(variables);
    }

    void variable(String name, String value) {
        variables.put(name.toLowerCase(Locale.ROOT), value);
        variablesVersion++;
    }

    /** Counts changes of the tracked variables: a pooled session's state key is built again only after one. */
    int variablesVersion;

    void status(int flags) {
        inTransaction = (flags & io.baton.protocol.ServerStatus.SERVER_STATUS_IN_TRANS) != 0;
        autocommit = (flags & io.baton.protocol.ServerStatus.SERVER_STATUS_AUTOCOMMIT) != 0;
    }

    /** Prepared statements a session may hold open: a server's default max_prepared_stmt_count (for all sessions). */
    static final int MAX_STATEMENTS = 16_382;

    PreparedStatement prepared(int serverId, String sql, int params, int columns) {
        int id = nextStatementId++;
        if (nextStatementId <= 0) {
            nextStatementId = 1;
        }
        PreparedStatement ps = new PreparedStatement(id, serverId, sql, params, columns);
        PreparedStatement was = statements.put(id, ps);
        if (was != null && was.readsPreviousValues()) {
            previousValueStatements--;
        }
        if (ps.readsPreviousValues()) {
            previousValueStatements++;
        }
        return ps;
    }

    /** Prepared statements that read ROW_COUNT() or FOUND_ROWS(): while there are any, the session keeps its connection. */
    int previousValueStatements;

    PreparedStatement statement(int clientId) {
        return statements.get(clientId);
    }

    void closeStatement(int clientId) {
        PreparedStatement was = statements.remove(clientId);
        if (was != null && was.readsPreviousValues()) {
            previousValueStatements--;
        }
        if (was != null && owned != null) {
            owned.remove(was);
        }
        if (was != null) {
            cursorClosed(was);
        }
    }

    /** Statements whose cursor may be open on the session's connection: it keeps the connection while there are any. */
    int openCursors;

    /** An execute of {@code ps} asked for a cursor: it lives on the connection. */
    void cursorOpened(PreparedStatement ps) {
        if (!ps.cursorOpen) {
            ps.cursorOpen = true;
            openCursors++;
        }
    }

    /** {@code ps}'s cursor is closed (the statement closed or reset). */
    void cursorClosed(PreparedStatement ps) {
        if (ps.cursorOpen) {
            ps.cursorOpen = false;
            openCursors--;
        }
    }

    /** Pooled statements that hold a server statement of their own ({@link PreparedStatement#ownId}), or null. */
    private java.util.List<PreparedStatement> owned;

    /**
     * {@code ps} keeps {@code serverId} on {@code b} for itself: the connection's cache of statements by text forgets
     * it, so that another statement of the same text is prepared apart instead of running on it.
     */
    void own(PreparedStatement ps, BackendConnection b, int serverId) {
        b.statements.remove(ps.sql, serverId);
        ps.ownId = serverId;
        ps.ownOn = b.serial;
        ps.ownEpoch = b.statementEpoch;
        if (owned == null) {
            owned = new java.util.ArrayList<>(2);
        }
        if (!owned.contains(ps)) {
            owned.add(ps);
        }
    }

    /**
     * The session gives {@code b} back to the pool: the statements it held there alone are closed on the server (no
     * other session may run them, and a later connection prepares them again).
     */
    void dropOwned(BackendConnection b) {
        if (owned == null) {
            return;
        }
        for (PreparedStatement ps : owned) {
            if (ps.ownedOn(b)) {
                b.closeStatement(ps.ownId);
            }
            ps.ownOn = 0;
        }
        owned = null;
    }

    /** How many statements hold a server statement of their own (tests). */
    int ownedCount() {
        return owned == null ? 0 : owned.size();
    }

    java.util.Collection<PreparedStatement> statements() {
        return statements.values();
    }

    public int statementCount() {
        return statements.size();
    }

    private static final int TEMPORARY = 1;
    static final int GETS_LOCK = 2;
    private static final int RELEASES_LOCKS = 4;
    private static final int LOCKS_TABLES = 8;
    private static final int UNLOCKS_TABLES = 16;

    /** What a statement's head does to state that cannot move, as bits for {@link #apply} (0: nothing). */
    static int headEffects(CharSequence sqlHead) {
        int e = 0;
        if (TEMPORARY_TABLE.matcher(sqlHead).find()) {
            e |= TEMPORARY;
        }
        e |= namedLockEffects(sqlHead);
        if (LOCK_TABLES.matcher(sqlHead).find()) {
            e |= LOCKS_TABLES;
        } else if (UNLOCK_TABLES.matcher(sqlHead).find()) {
            e |= UNLOCKS_TABLES;
        }
        return e;
    }

    /**
     * What a statement's whole text does to its named locks, as {@link #headEffects} bits: for a GET_LOCK or
     * RELEASE_ALL_LOCKS past the head (a long select list, a later statement of a multi-statement).
     */
    static int namedLockEffects(CharSequence text) {
        int got = lastMatch(NAMED_LOCK.matcher(text));
        // A release counts only as a call: in a string or a comment it frees nothing (the text's code only, same length).
        int released = -1;
        if (RELEASE_WORD.matcher(text).find()) { // most texts do not name it: no copy for them
            released = lastMatch(RELEASE_LOCKS.matcher(StatementHead.codeOnly(text)));
        }
        // The later one decides: RELEASE_ALL_LOCKS(); ... GET_LOCK('b', 1) holds a lock, the other way round none.
        return got < 0 && released < 0 ? 0 : got > released ? GETS_LOCK : RELEASES_LOCKS;
    }

    /**
     * {@code headEffects} with its named-lock bits replaced by {@code wholeLockEffects} ({@link #namedLockEffects} of
     * the whole text): the head sees only the calls in it, the whole text which came last.
     */
    static int withNamedLocks(int headEffects, int wholeLockEffects) {
        return headEffects & ~(GETS_LOCK | RELEASES_LOCKS) | wholeLockEffects;
    }

    private static int lastMatch(Matcher m) {
        int at = -1;
        while (m.find()) {
            at = m.start();
        }
        return at;
    }

    /**
     * Applies {@link #headEffects}, what a statement's text does where the session tracker is silent. True if the text
     * made a temporary table: a state change the server reports for the statement is explained, since that pin lasts
     * until a reset anyway. Locks are not: their pins end with their release, and another statement of the same query
     * (a multi-statement) may have left state that must outlast it.
     */
    boolean apply(int effects) {
        if ((effects & TEMPORARY) != 0) {
            temporaryTables = true;
        }
        if ((effects & GETS_LOCK) != 0) {
            namedLocks = true;
        }
        if ((effects & RELEASES_LOCKS) != 0) {
            namedLocks = false;
        }
        if ((effects & LOCKS_TABLES) != 0) {
            lockedTables = true;
        } else if ((effects & UNLOCKS_TABLES) != 0) {
            lockedTables = false;
        }
        return (effects & TEMPORARY) != 0;
    }

    private static final Pattern ANY_TEMPORARY_TABLE = Pattern.compile("\\bCREATE\\s+TEMPORARY\\s+TABLE\\b",
            Pattern.CASE_INSENSITIVE);
    private static final Pattern ANY_LOCK_TABLES = Pattern.compile("(?<![\\w])LOCK\\s+TABLES?\\b", Pattern.CASE_INSENSITIVE);

    /** Of {@link #headEffects}, only what a statement takes (a temporary table, table locks): never a release. */
    static int takesOnly(int effects) {
        return effects & (TEMPORARY | LOCKS_TABLES);
    }

    /**
     * COM_SET_OPTION was sent ({@code multiStatementsSet}), and whether it left multi-statements on: from then on the
     * server connection runs them, or not, whatever the session's login said.
     */
    boolean multiStatementsSet;
    boolean multiStatementsOn;

    /** Whether the server runs this session's multi-statements: the login's capability, or COM_SET_OPTION's word. */
    boolean multiStatements(int capabilities) {
        return multiStatementsSet ? multiStatementsOn
                : (capabilities & io.baton.protocol.Capabilities.CLIENT_MULTI_STATEMENTS) != 0;
    }

    /**
     * A multi-statement whose statements Baton cannot tell apart: a temporary table or LOCK TABLES anywhere in it is
     * taken to hold (never an UNLOCK or a release: unsure, the state is kept). True if it made a temporary table.
     */
    boolean applyUnsure(CharSequence text) {
        boolean temporary = ANY_TEMPORARY_TABLE.matcher(text).find();
        if (temporary) {
            temporaryTables = true;
        }
        if (ANY_LOCK_TABLES.matcher(text).find()) {
            lockedTables = true;
        }
        return temporary;
    }

    /** The session holds state only its connection has: it keeps the connection until a reset (docs/pool.md). */
    void pin(String why) {
        if (pinned == null) {
            pinned = why;
        }
    }

    /** Why the session keeps its connection until it is reset, or null. */
    public String pinnedBecause() {
        return pinned;
    }

    /** COM_RESET_CONNECTION / COM_CHANGE_USER: the server forgets the session's state. */
    void reset() {
        variablesVersion++;
        pinned = null;
        lastInsertId = 0;
        insertIdUnsure = false;
        variables.clear();
        statements.clear();
        owned = null;
        openCursors = 0;
        previousValueStatements = 0;
        temporaryTables = false;
        namedLocks = false;
        lockedTables = false;
        inTransaction = false;
        autocommit = true;
    }

    /** Why this session cannot move to another server, or null if it can. */
    public String unmovableReason() {
        if (temporaryTables) {
            return "the session has temporary tables";
        }
        if (namedLocks) {
            return "the session holds named locks (GET_LOCK)";
        }
        if (lockedTables) {
            return "the session holds table locks (LOCK TABLES)";
        }
        return null;
    }
}
