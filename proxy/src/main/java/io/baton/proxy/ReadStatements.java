package io.baton.proxy;

import io.baton.protocol.MySqlError;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The statements that matter to reads: on the read port, those that would make the session writable (refused,
 * since a read session may be served by the source when no replica qualifies), and on either port Baton's own
 * {@code BATON SET consistency = 'level'} / {@code BATON SHOW consistency}, answered by Baton (docs/reads.md).
 */
final class ReadStatements {
    /** SET ... transaction_read_only / tx_read_only = ..., and READ WRITE (SET TRANSACTION, START TRANSACTION). */
    private static final Pattern WRITABLE = Pattern.compile(
            "\\bSET\\b.*?(?:@@(?:SESSION\\.|LOCAL\\.|GLOBAL\\.)?)?\\b(?:transaction_read_only|tx_read_only)\\b\\s*:?="
                    + "|\\bREAD\\s+WRITE\\b", Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    /** BATON SET consistency = level (quoted or not), BATON SHOW consistency. */
    private static final Pattern BATON = Pattern.compile(
            "^\\s*BATON\\s+(?:SET\\s+consistency\\s*=\\s*(?:'([^']*)'|\"([^\"]*)\"|([A-Za-z_]+))|(SHOW)\\s+consistency)"
                    + "\\s*;?\\s*$", Pattern.CASE_INSENSITIVE);

    /** What {@code BATON ...} asks, or a syntax error (level null, error set). */
    record BatonStatement(boolean show, ProxySettings.Consistency level, MySqlError error) {
    }

    /**
     * Words that keep a SELECT on the source when reads are split off the read-write port, besides
     * {@link InFlight#NOT_A_PLAIN_READ}: waits on replication, files on the server's host, and any system variable
     * ({@code @@read_only}, {@code @@server_id}, {@code @@identity} … describe the server or the connection).
     */
    private static final String[] SOURCE_ONLY = {"MASTER_POS_WAIT", "SOURCE_POS_WAIT", "WAIT_FOR_EXECUTED_GTID_SET",
        "WAIT_UNTIL_SQL_THREAD", "MASTER_GTID_WAIT", "LOAD_FILE", "SLEEP", "BENCHMARK", "NEXT_VALUE", "SEQUENCE"};
    /** SHOW statements a replica answers as the source would: the schema's objects, not the server's or session's state. */
    private static final Pattern SHOW_SCHEMA = Pattern.compile("^SHOW\\s+(?:FULL\\s+)?(?:TABLES|DATABASES|SCHEMAS|COLUMNS|FIELDS"
            + "|INDEX|INDEXES|KEYS|TABLE\\s+STATUS|TRIGGERS|EVENTS|CREATE\\s+(?:TABLE|VIEW|DATABASE|SCHEMA|PROCEDURE|FUNCTION"
            + "|TRIGGER|EVENT)|PROCEDURE\\s+STATUS|FUNCTION\\s+STATUS|OPEN\\s+TABLES|COLLATION|CHARACTER\\s+SET|CHARSET"
            + "|ENGINES|PLUGINS|PRIVILEGES)\\b", Pattern.CASE_INSENSITIVE);

    private ReadStatements() {
    }

    /**
     * Whether {@code sql}, sent outside a transaction with autocommit on, only reads and reads nothing that belongs to
     * the source or to the connection, so that a replica may answer it (proxy.splitReads, docs/reads.md): one SELECT
     * without locking clauses, INTO, user variables, system variables or functions with side effects or per-connection
     * answers; or a SHOW of the schema's objects. When unsure: false, the source.
     */
    static boolean splittable(String sql) {
        String s = InFlight.stripLeadingComments(sql);
        if (s == null || s.isEmpty() || InFlight.hasSecondStatement(s)) {
            return false;
        }
        String first = InFlight.firstWord(s);
        if (first.equals("SHOW")) {
            return SHOW_SCHEMA.matcher(s).find();
        }
        if (!first.equals("SELECT")) {
            return false;
        }
        String upper = s.toUpperCase(java.util.Locale.ROOT);
        for (String w : InFlight.NOT_A_PLAIN_READ) {
            if (upper.contains(w)) {
                return false;
            }
        }
        for (String w : SOURCE_ONLY) {
            if (upper.contains(w)) {
                return false;
            }
        }
        return !upper.contains("/*!") && !upper.contains("/*M!") && !atOutsideQuotes(s);
    }

    /** An '@' outside string literals: a user or system variable (an e-mail address in a literal is fine). */
    private static boolean atOutsideQuotes(String s) {
        return InFlight.outsideQuotes(s, '@') != -1;
    }

    /** Cheap byte-level test: the statement's first word is BATON. */
    static boolean startsWithBaton(ByteBuf b, int from, int len) {
        int i = from;
        int end = from + len;
        while (i < end && Character.isWhitespace(b.getByte(i))) {
            i++;
        }
        if (end - i < 5) {
            return false;
        }
        return (b.getByte(i) | 0x20) == 'b' && (b.getByte(i + 1) | 0x20) == 'a' && (b.getByte(i + 2) | 0x20) == 't'
                && (b.getByte(i + 3) | 0x20) == 'o' && (b.getByte(i + 4) | 0x20) == 'n'
                && (i + 5 == end || !Character.isLetterOrDigit(b.getByte(i + 5)));
    }

    /** Parses a statement that starts with BATON. */
    static BatonStatement baton(String sql) {
        Matcher m = BATON.matcher(sql);
        if (!m.matches()) {
            return new BatonStatement(false, null, MySqlError.of(1064, "You have an error in your SQL syntax: Baton knows"
                    + " BATON SET consistency = 'eventual|session|user|global' and BATON SHOW consistency"));
        }
        if (m.group(4) != null) {
            return new BatonStatement(true, null, null);
        }
        String v = m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group(3);
        ProxySettings.Consistency c = ProxySettings.Consistency.of(v);
        if (c == null) {
            return new BatonStatement(false, null, MySqlError.of(1231, "Variable 'consistency' can't be set to the value"
                    + " of '" + v + "' (Baton knows eventual, session, user and global)"));
        }
        return new BatonStatement(false, c, null);
    }

    /**
     * Byte-level prefilter for {@link #makesWritable}: only a statement that mentions read_only or write can.
     */
    static boolean mayMakeWritable(ByteBuf b, int from, int len) {
        int end = from + len;
        for (int j = from; j + 4 < end; j++) {
            int c = b.getByte(j) | 0x20;
            if (c == 'w' && (b.getByte(j + 1) | 0x20) == 'r' && (b.getByte(j + 2) | 0x20) == 'i'
                    && (b.getByte(j + 3) | 0x20) == 't' && (b.getByte(j + 4) | 0x20) == 'e') {
                return true;
            }
            if (b.getByte(j) == '_' && (b.getByte(j + 1) | 0x20) == 'o' && (b.getByte(j + 2) | 0x20) == 'n'
                    && (b.getByte(j + 3) | 0x20) == 'l' && (b.getByte(j + 4) | 0x20) == 'y') {
                return true;
            }
        }
        return false;
    }

    /** The refusal for a statement that would make a read session writable, or null when it would not. */
    static MySqlError makesWritable(ByteBuf b, int from, int len) {
        if (!mayMakeWritable(b, from, len)) {
            return null;
        }
        String sql = TransactionLog.withoutStrings(b.toString(from, len, StandardCharsets.UTF_8));
        if (!WRITABLE.matcher(sql).find()) {
            return null;
        }
        return MySqlError.ER_OPTION_PREVENTS_STATEMENT.withMessage("The MySQL server is running with the --read-only"
                + " option so it cannot execute this statement (Baton's read port is read-only: its sessions cannot be"
                + " made writable; write through the read-write port)");
    }
}
