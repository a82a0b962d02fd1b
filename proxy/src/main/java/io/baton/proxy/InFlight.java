package io.baton.proxy;

import java.util.Locale;
import java.util.Set;

/**
 * What a statement in flight when its server was lost means for the client (docs/in-flight.md):
 * <ul>
 * <li>{@link Fate#RERUN}: an autocommit read (SELECT, SHOW) of which nothing came back: it changed nothing, so
 *     it runs again on the new source and the client sees only a slower answer;</li>
 * <li>{@link Fate#ROLLED_BACK}: a statement inside an open transaction that cannot commit it (a read or a DML
 *     statement, alone): the server lost the whole transaction, so the outcome is known: ERR 1213;</li>
 * <li>{@link Fate#ROLLED_BACK_AS_ASKED}: a ROLLBACK: the transaction is gone, as the client asked: OK;</li>
 * <li>{@link Fate#UNKNOWN}: everything else (an autocommit write, a COMMIT, a statement that commits
 *     implicitly, a multi-statement, a CALL): it may have committed: ERR 1317.</li>
 * </ul>
 * Decided from the statement's text only when a server is lost, never on the common path.
 */
final class InFlight {

    /**
     * How often one statement runs again after losing its server in flight: a statement that itself ends its server
     * (a crash, a connection the server drops for it) would otherwise go on to the next source, and the next.
     */
    static final int MAX_RERUNS = 1;

    /**
     * REPLAYED and NOT_RERUN are decided by the session, not here: a ROLLED_BACK statement whose transaction is
     * replayed; a RERUN read that had lost its server before ({@link #MAX_RERUNS}): ERR 1317, nothing changed.
     */
    enum Fate { RERUN, ROLLED_BACK, ROLLED_BACK_AS_ASKED, UNKNOWN, REPLAYED, NOT_RERUN }

    /** First keywords of statements that never commit a transaction (MySQL's implicit-commit list has none of them). */
    private static final Set<String> NO_COMMIT = Set.of("SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "SHOW",
            "DO", "VALUES", "TABLE", "WITH", "DESCRIBE", "DESC", "EXPLAIN");

    /**
     * Words that make a read unsafe to run twice, or whose answer belongs to the lost connection: locking reads,
     * SELECT … INTO, user variables (assignments), named locks, sequences, per-connection values.
     */
    static final String[] NOT_A_PLAIN_READ = {" FOR UPDATE", " FOR SHARE", " LOCK IN SHARE MODE", " INTO ",
        "GET_LOCK", "RELEASE_LOCK", "RELEASE_ALL_LOCKS", "IS_USED_LOCK", "IS_FREE_LOCK", "NEXTVAL", "SETVAL", "LASTVAL",
        "NEXT VALUE", "LAST_INSERT_ID", "ROW_COUNT", "FOUND_ROWS", "CONNECTION_ID", "SQL_CALC_FOUND_ROWS"};

    private InFlight() {
    }

    /**
     * The fate of {@code sql} (null: not a COM_QUERY, or not kept), sent with the session {@code inTransaction},
     * when {@code answered} says whether any of its response had arrived.
     */
    static Fate of(String sql, boolean inTransaction, boolean answered) {
        if (sql == null) {
            return Fate.UNKNOWN;
        }
        String s = stripLeadingComments(sql);
        if (s == null || hasSecondStatement(s)) {
            return Fate.UNKNOWN;
        }
        String first = firstWord(s);
        if (first.equals("ROLLBACK") && isWholeRollback(s)) {
            return Fate.ROLLED_BACK_AS_ASKED; // nothing of the transaction committed: what the client asked for
        }
        if (inTransaction) {
            return NO_COMMIT.contains(first) ? Fate.ROLLED_BACK : Fate.UNKNOWN;
        }
        if (answered || !(first.equals("SELECT") || first.equals("SHOW"))) {
            return Fate.UNKNOWN;
        }
        String upper = s.toUpperCase(Locale.ROOT);
        for (String w : NOT_A_PLAIN_READ) {
            if (upper.contains(w)) {
                return Fate.UNKNOWN;
            }
        }
        for (int i = upper.indexOf('@'); i >= 0; i = upper.indexOf('@', i + 2)) {
            if (i + 1 >= upper.length() || upper.charAt(i + 1) != '@') {
                return Fate.UNKNOWN; // a user variable (read or assigned): the new connection does not have it
            }
        }
        return Fate.RERUN;
    }

    /** The text after leading whitespace and plain comments, or null when an executable comment (/*! … *&#47;) leads. */
    static String stripLeadingComments(String sql) {
        int i = 0;
        int n = sql.length();
        while (i < n) {
            char c = sql.charAt(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (sql.startsWith("/*", i)) {
                if (sql.startsWith("/*!", i) || sql.startsWith("/*M!", i) || sql.startsWith("/*+", i)) {
                    return null;
                }
                int end = sql.indexOf("*/", i + 2);
                if (end < 0) {
                    return null;
                }
                i = end + 2;
            } else if (sql.startsWith("-- ", i) || c == '#') {
                int end = sql.indexOf('\n', i);
                if (end < 0) {
                    return "";
                }
                i = end + 1;
            } else {
                break;
            }
        }
        return sql.substring(i);
    }

    /**
     * ROLLBACK [WORK] [AND NO CHAIN] [NO RELEASE] [;]: not ROLLBACK TO SAVEPOINT (the transaction goes on), AND CHAIN
     * (a new one starts) or RELEASE (the connection ends).
     */
    static boolean isWholeRollback(String s) {
        String rest = s.trim().toUpperCase(Locale.ROOT).replaceAll(";\\s*$", "").replaceAll("\\s+", " ");
        return rest.equals("ROLLBACK") || rest.equals("ROLLBACK WORK") || rest.matches("ROLLBACK( WORK)? AND NO CHAIN")
                || rest.matches("ROLLBACK( WORK)?( AND NO CHAIN)? NO RELEASE");
    }

    static String firstWord(String s) {
        int i = 0;
        while (i < s.length() && Character.isLetter(s.charAt(i))) {
            i++;
        }
        return s.substring(0, i).toUpperCase(Locale.ROOT);
    }

    /** A ';' followed by anything but whitespace (outside quotes): a multi-statement, never re-run nor judged. */
    static boolean hasSecondStatement(String s) {
        int i = outsideQuotes(s, ';');
        return i == UNTERMINATED || (i >= 0 && !s.substring(i + 1).isBlank()); // unterminated: not understood
    }

    /** {@link #outsideQuotes}: a quote that does not end. */
    static final int UNTERMINATED = -2;

    /**
     * Where {@code wanted} first stands outside '…', "…" and `…` (a backslash escapes in the first two), -1 when
     * nowhere, {@link #UNTERMINATED} when a quote is left open before it is found.
     */
    static int outsideQuotes(String s, char wanted) {
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\' && quote != '`') {
                    i++;
                } else if (c == quote) {
                    quote = 0;
                }
            } else if (c == '\'' || c == '"' || c == '`') {
                quote = c;
            } else if (c == wanted) {
                return i;
            }
        }
        return quote != 0 ? UNTERMINATED : -1;
    }
}
