package io.baton.proxy;

import io.baton.protocol.Command;
import io.baton.protocol.Packets;
import io.netty.buffer.ByteBufUtil;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The statements of a session's open transaction, kept so that it can run again on another server when its own is
 * lost (docs/replay.md): each statement as it was sent (text or binary protocol, parameters included) with a
 * {@link ResponseDigest} of the answer the client saw. Recording costs a copy of each statement inside a transaction
 * and a hash of its response; what may be replayed is decided from the statements' text only when a server was lost.
 * On the session's event loop.
 */
final class TransactionLog {
    /** One statement of the open transaction: its packet as the server got it, and the digest of its response. */
    record Entry(int command, byte[] packet, int clientStatementId, boolean rows, long digest) {
    }

    /** First words of statements that replay: reads, writes by statement, transaction control within a transaction. */
    private static final Set<String> REPLAYABLE = Set.of("SELECT", "INSERT", "UPDATE", "DELETE", "REPLACE", "BEGIN",
            "START", "WITH", "VALUES", "TABLE", "SAVEPOINT", "RELEASE", "ROLLBACK", "DO", "SHOW", "DESCRIBE", "DESC",
            "EXPLAIN");
    private static final Set<String> READS = Set.of("SELECT", "WITH", "VALUES", "TABLE", "SHOW", "DO", "DESCRIBE",
            "DESC", "EXPLAIN");
    /**
     * Anywhere: values that belong to the lost connection (its insert id, its id, its named locks, its variables,
     * sequences read through it) or to the lost host (files), or text that is not understood (executable comments).
     */
    private static final Pattern NEVER = Pattern.compile("\\b(LAST_INSERT_ID|CONNECTION_ID|GET_LOCK|RELEASE_LOCK"
            + "|RELEASE_ALL_LOCKS|IS_FREE_LOCK|IS_USED_LOCK|NEXTVAL|LASTVAL|SETVAL|FOUND_ROWS|ROW_COUNT|LOAD_FILE"
            + "|MASTER_POS_WAIT|SOURCE_POS_WAIT|WAIT_FOR_EXECUTED_GTID_SET|MASTER_GTID_WAIT)\\s*\\("
            + "|\\b(NEXT|PREVIOUS)\\s+VALUE\\s+FOR\\b|\\bSQL_CALC_FOUND_ROWS\\b|\\bINTO\\s+(OUTFILE|DUMPFILE)\\b|/\\*[!M+]"
            // a user variable (@x): the new connection does not have it; system variables that name the server or
            // the connection (other @@ values are the session's own, rebuilt before the replay, or the digest sees them)
            + "|(?<!@)@(?!@)|@@(GLOBAL\\.|SESSION\\.|LOCAL\\.)?(SERVER_ID|SERVER_UUID|HOSTNAME|PORT|SOCKET"
            + "|PSEUDO_THREAD_ID|GTID_EXECUTED|GTID_PURGED|GTID_BINLOG_POS|GTID_CURRENT_POS|IDENTITY|LAST_INSERT_ID"
            + "|INSERT_ID|TIMESTAMP|RAND_SEED1|RAND_SEED2)\\b",
            Pattern.CASE_INSENSITIVE);
    /** In a read: values that differ from one run to the next (the client saw them). */
    private static final Pattern NOT_REPEATABLE = Pattern.compile("\\b(NOW|SYSDATE|CURDATE|CURTIME|UNIX_TIMESTAMP"
            + "|UTC_DATE|UTC_TIME|UTC_TIMESTAMP|UUID|UUID_SHORT|RAND|RANDOM_BYTES|SLEEP|BENCHMARK)\\s*\\("
            + "|\\b(CURRENT_TIMESTAMP|CURRENT_DATE|CURRENT_TIME|LOCALTIME|LOCALTIMESTAMP)\\b", Pattern.CASE_INSENSITIVE);

    private final ProxySettings.Replay settings;
    private final List<Entry> entries = new ArrayList<>();
    private long bytes;
    /** Why the open transaction cannot be replayed (null: it can, as far as recording goes). */
    private String spoiled;
    /** Replays of this transaction that did not complete (lost connection, timeout). */
    private int failedAttempts;
    /** The server the open transaction was lost at, while its replay is due; null otherwise. */
    private String lostAt;

    TransactionLog(ProxySettings.Replay settings) {
        this.settings = settings;
    }

    boolean enabled() {
        return settings.enabled();
    }

    int attemptsAllowed() {
        return settings.attempts();
    }

    /** The open transaction cannot be replayed, for this reason (the first one counts). */
    void spoil(String why) {
        if (spoiled == null) {
            spoiled = why;
            release();
        }
    }

    /**
     * A response is complete: when a transaction is open after it, the statement joins the log; when none is, the
     * log starts over. {@code x} still holds what was sent.
     */
    void completed(Exchange x, SessionState state) {
        if (!settings.enabled()) {
            return;
        }
        if (!state.inTransaction) {
            clear();
            return;
        }
        if (spoiled != null) {
            return;
        }
        int cmd = x.command;
        if (cmd != Command.COM_QUERY && cmd != Command.COM_STMT_EXECUTE) {
            if (cmd != Command.COM_PING && cmd != Command.COM_STMT_PREPARE && cmd != Command.COM_STATISTICS) {
                spoil(Command.name(cmd) + " inside the transaction");
            }
            return; // the rest changes nothing a replay needs (prepared statements are re-prepared by the move)
        }
        if (x.sent == null) {
            spoil("a statement sent in pieces (over " + ClientSession.STREAM_THRESHOLD / 1024 + " KiB)");
            return;
        }
        if (x.digestBroken) {
            spoil("a response with a packet too large to checksum");
            return;
        }
        if (x.sentWithLongData) {
            spoil("a prepared statement's parameter sent as long data");
            return;
        }
        int len = x.sent.readableBytes();
        if (bytes + len > settings.maxBytes()) {
            spoil("over replay.maxBytes (" + settings.maxBytes() + " bytes of statements)");
            return;
        }
        byte[] packet = ByteBufUtil.getBytes(x.sent);
        if (cmd == Command.COM_STMT_EXECUTE) {
            SessionState.PreparedStatement ps = state.statement(x.sentStatementId);
            packet = ps == null ? null : withTypes(packet, ps);
            if (packet == null) {
                spoil("a prepared statement's execute Baton cannot send again");
                return;
            }
        }
        bytes += len;
        entries.add(new Entry(cmd, packet, x.sentStatementId, x.digest.withRows(), x.digest.value()));
    }

    /**
     * COM_STMT_EXECUTE: 0x17, stmt_id<4>, flags<1>, iteration_count<4>, null_bitmap<(n+7)/8>, new_params_bound<1>,
     * [types<2n>], values: a replay goes to a server that has never seen the types, so the kept packet carries them.
     * Null when the types are not known.
     */
    static byte[] withTypes(byte[] packet, SessionState.PreparedStatement ps) {
        if (ps.params == 0) {
            return packet;
        }
        int payload = Packets.HEADER_SIZE;
        int flagAt = payload + 10 + (ps.params + 7) / 8;
        if (flagAt >= packet.length) {
            return null;
        }
        if (packet[flagAt] == 1) {
            return packet;
        }
        if (ps.types == null || ps.types.length != 2 * ps.params) {
            return null;
        }
        byte[] out = new byte[packet.length + ps.types.length];
        System.arraycopy(packet, 0, out, 0, flagAt);
        out[flagAt] = 1;
        System.arraycopy(ps.types, 0, out, flagAt + 1, ps.types.length);
        System.arraycopy(packet, flagAt + 1, out, flagAt + 1 + ps.types.length, packet.length - flagAt - 1);
        int payloadLength = out.length - Packets.HEADER_SIZE;
        out[0] = (byte) payloadLength;
        out[1] = (byte) (payloadLength >>> 8);
        out[2] = (byte) (payloadLength >>> 16);
        return out;
    }

    /**
     * Why the open transaction cannot be replayed now, or null when it can: what recording found, too many failed
     * attempts, or a statement whose text the rules refuse (docs/replay.md).
     */
    String refusal(SessionState state) {
        if (!settings.enabled()) {
            return "replay.enabled is off";
        }
        if (spoiled != null) {
            return spoiled;
        }
        if (failedAttempts >= settings.attempts()) {
            return "replayed " + failedAttempts + " time(s) without success (replay.attempts)";
        }
        String sqlMode = state.variables().get("sql_mode");
        if (sqlMode != null && sqlMode.toUpperCase(Locale.ROOT).contains("NO_BACKSLASH_ESCAPES")) {
            return "sql_mode NO_BACKSLASH_ESCAPES (Baton reads statements for replay with backslash escapes)";
        }
        for (int i = 0; i < entries.size(); i++) {
            Entry e = entries.get(i);
            String sql;
            if (e.command() == Command.COM_QUERY) {
                sql = new String(e.packet(), Packets.HEADER_SIZE + 1, e.packet().length - Packets.HEADER_SIZE - 1,
                        StandardCharsets.UTF_8);
            } else {
                SessionState.PreparedStatement ps = state.statement(e.clientStatementId());
                if (ps == null) {
                    return "a prepared statement it ran was closed";
                }
                sql = ps.sql;
            }
            String why = refusal(sql);
            if (why == null && i > 0 && startsTransaction(sql)) {
                // BEGIN inside an open transaction commits it implicitly: what came before it committed on the lost server.
                why = "a transaction started inside another (an implicit commit)";
            }
            if (why != null) {
                String head = sql.strip().replaceAll("\\s+", " ");
                return why + " in \"" + (head.length() > 60 ? head.substring(0, 57) + "..." : head) + "\"";
            }
        }
        return null;
    }

    /** Why this statement is not replayed, or null. */
    static String refusal(String sql) {
        return refusal(sql, true);
    }

    /**
     * Why this statement is not replayed, or null; {@code answerSeen}: the client saw its answer, so a read of values
     * that differ on each run is refused too (a statement in flight was never answered).
     */
    static String refusal(String sql, boolean answerSeen) {
        String s = InFlight.stripLeadingComments(sql);
        if (s == null) {
            return "a statement in an executable comment";
        }
        if (InFlight.hasSecondStatement(s)) {
            return "a multi-statement";
        }
        String first = InFlight.firstWord(s);
        if (!REPLAYABLE.contains(first)) {
            return "a " + (first.isEmpty() ? "statement" : first) + " statement";
        }
        if (first.equals("ROLLBACK") && !s.toUpperCase(Locale.ROOT).matches("(?s)ROLLBACK\\s+(WORK\\s+)?TO\\b.*")) {
            return "a ROLLBACK";
        }
        if (first.equals("START") && !s.toUpperCase(Locale.ROOT).matches("(?s)START\\s+TRANSACTION\\b.*")) {
            return "a START statement that is not START TRANSACTION";
        }
        if (first.equals("RELEASE") && !s.toUpperCase(Locale.ROOT).matches("(?s)RELEASE\\s+SAVEPOINT\\b.*")) {
            return "a RELEASE statement that is not RELEASE SAVEPOINT";
        }
        String code = withoutStrings(s); // 'x@y.com' or 'now()' in a string literal is data, not a call
        java.util.regex.Matcher m = NEVER.matcher(code);
        if (m.find()) {
            return m.group().equals("@") ? "a user variable" : "'" + m.group().replaceAll("\\s*\\($", "").trim() + "'";
        }
        if (answerSeen && (READS.contains(first) || code.toUpperCase(Locale.ROOT).contains("SELECT"))) {
            m = NOT_REPEATABLE.matcher(code);
            if (m.find()) {
                return "a read of '" + m.group().replaceAll("\\s*\\($", "").trim() + "', which differs on each run";
            }
        }
        return null;
    }

    /** BEGIN [WORK] or START TRANSACTION. */
    static boolean startsTransaction(String sql) {
        String s = InFlight.stripLeadingComments(sql);
        String first = s == null ? "" : InFlight.firstWord(s);
        return first.equals("BEGIN") || first.equals("START");
    }

    /**
     * The statement with the contents of its '…' and "…" literals blanked out. Comments and `identifiers` are kept
     * as they are (a quote inside them starts nothing), so what they hold is still seen by the rules.
     */
    static String withoutStrings(String s) {
        StringBuilder out = new StringBuilder(s.length());
        char quote = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (quote != 0) {
                if (c == '\\' && i + 1 < s.length()) {
                    out.append("  ");
                    i++;
                } else if (c == quote) {
                    quote = 0;
                    out.append(c);
                } else {
                    out.append(' ');
                }
            } else {
                int end = -1;
                if (c == '`') {
                    end = s.indexOf('`', i + 1);
                } else if (s.startsWith("/*", i)) {
                    end = s.indexOf("*/", i + 2);
                    end = end < 0 ? -1 : end + 1;
                } else if (c == '#' || s.startsWith("--", i)) {
                    end = s.indexOf('\n', i);
                    end = end < 0 ? s.length() - 1 : end;
                }
                if (end >= 0) {
                    out.append(s, i, end + 1); // kept verbatim
                    i = end;
                    continue;
                }
                if (c == '\'' || c == '"') {
                    quote = c;
                }
                out.append(c);
            }
        }
        return out.toString();
    }

    List<Entry> entries() {
        return entries;
    }

    /** The open transaction was lost at {@code server}: it is replayed with the session's next backend. */
    void lost(String server) {
        lostAt = server;
    }

    /** The server the transaction waiting for its replay was lost at, or null when no replay is due. */
    String lostAt() {
        return lostAt;
    }

    /** A replay did not complete (its new backend failed): the next backend tries again, up to replay.attempts. */
    void attemptFailed() {
        failedAttempts++;
    }

    /** The replay succeeded: the transaction goes on where it was, on the new server. */
    void replayed() {
        lostAt = null;
    }

    /** The transaction is over (committed, rolled back, or given up): the log starts over. */
    void clear() {
        release();
        spoiled = null;
        failedAttempts = 0;
        lostAt = null;
    }

    private void release() {
        entries.clear();
        bytes = 0;
    }

    long bytes() {
        return bytes;
    }
}
