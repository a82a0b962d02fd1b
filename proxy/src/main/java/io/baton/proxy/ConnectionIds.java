package io.baton.proxy;

import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * One connection id per session, the one the handshake gave: Baton's, which survives moves to other servers. The
 * server knows only its own thread ids, so Baton translates where a statement meets them (docs/connection-ids.md):
 * <ul>
 * <li>{@code CONNECTION_ID()} in a statement becomes Baton's id, a literal (named as the call was when it is a
 *     select-list item of its own, so the column keeps its name);</li>
 * <li>a statement reading the process list keeps {@code CONNECTION_ID()} as it is (its filters compare server thread
 *     ids) and the rows' id column is rewritten: a thread that is a Baton session's backend shows that session's
 *     id;</li>
 * <li>KILL with Baton's id is rewritten elsewhere ({@link CommandRelay}).</li>
 * </ul>
 * Statements are scanned as bytes: quotes, quoted names and comments are skipped (an executable comment
 * {@code /*!...*&#47;} is code), which holds for every character set whose multi-byte characters never contain the
 * ASCII quote bytes (UTF-8, latin1, and the others MySQL accepts as a client character set).
 */
final class ConnectionIds {
    /** The statement mentions CONNECTION_ID (somewhere, maybe in a string). */
    static final int CALL = 1;
    /** The statement mentions PROCESSLIST (SHOW PROCESSLIST, information_schema / performance_schema / sys tables). */
    static final int PROCESSLIST = 2;
    /** The statement mentions ROW_COUNT or FOUND_ROWS (the previous statement's values: docs/pool.md). */
    static final int PREVIOUS_VALUES = 4;
    /** The statement mentions SQL_CALC_FOUND_ROWS. */
    static final int CALC_FOUND_ROWS = 8;
    /** The statement has an '@' not followed by another (a user variable, or an '@' in a string). */
    static final int USER_VARIABLE = 16;
    /** The statement mentions LAST_INSERT_ID. */
    static final int LAST_INSERT_ID = 32;
    /**
     * The word CALL stands in the statement: a procedure call, maybe after a comment or as a later statement of a
     * multi-statement (or a name, or in a string: then a state change the server reports pins where it need not).
     */
    static final int CALL_WORD = 64;
    /** The statement mentions GET_LOCK or RELEASE_ALL_LOCKS (anywhere: past the head Baton inspects too). */
    static final int NAMED_LOCKS = 128;
    /** A ';' with more text after it: maybe a multi-statement ({@link StatementHead#laterStatements} tells). */
    static final int MULTI = 256;
    /** Statements longer than this are relayed untouched (their rewrite would be copied whole). */
    static final int MAX_REWRITE = 1 << 20;

    private static final byte[] CONNECTION_ID = "connection_id".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] CALL_STATEMENT = "call".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PROCESSLIST_WORD = "processlist".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] ROW_COUNT = "row_count".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] FOUND_ROWS = "found_rows".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] SQL_CALC_FOUND_ROWS = "sql_calc_found_rows".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LAST_INSERT_ID_WORD = "last_insert_id".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] GET_LOCK = "get_lock".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] RELEASE_ALL_LOCKS = "release_all_locks".getBytes(StandardCharsets.US_ASCII);
    private static final byte[][] CONNECTION_ID_ONLY = {CONNECTION_ID};
    private static final byte[][] PREVIOUS = {ROW_COUNT, FOUND_ROWS};

    private ConnectionIds() {
    }

    /** Byte-level prefilter: which of the words above the statement mentions ({@link #CALL}...), 0 for the common one. */
    static int mentions(ByteBuf b, int from, int len) {
        int found = 0;
        int end = from + len;
        for (int i = from; i < end; i++) {
            int c = b.getByte(i) | 0x20;
            switch (c) {
                case 'c' -> found |= matchesAt(b, i, end, CONNECTION_ID) ? CALL
                        : matchesAt(b, i, end, CALL_STATEMENT) && (i == from || !identifierByte(b.getByte(i - 1)))
                        && (i + 4 == end || !identifierByte(b.getByte(i + 4))) ? CALL_WORD : 0;
                case 'p' -> found |= matchesAt(b, i, end, PROCESSLIST_WORD) ? PROCESSLIST : 0;
                case 'r' -> found |= matchesAt(b, i, end, ROW_COUNT) ? PREVIOUS_VALUES
                        : matchesAt(b, i, end, RELEASE_ALL_LOCKS) && wordStart(b, from, i) ? NAMED_LOCKS : 0;
                case 'g' -> found |= matchesAt(b, i, end, GET_LOCK) && wordStart(b, from, i) ? NAMED_LOCKS : 0;
                case 'f' -> found |= matchesAt(b, i, end, FOUND_ROWS) ? PREVIOUS_VALUES : 0;
                case 's' -> found |= matchesAt(b, i, end, SQL_CALC_FOUND_ROWS) ? CALC_FOUND_ROWS : 0;
                case 'l' -> found |= matchesAt(b, i, end, LAST_INSERT_ID_WORD) ? LAST_INSERT_ID : 0;
                case ('@' | 0x20) -> found |= b.getByte(i) == '@' && (i + 1 >= end || b.getByte(i + 1) != '@')
                        && (i == from || b.getByte(i - 1) != '@') ? USER_VARIABLE : 0;
                case ';' -> found |= b.getByte(i) == ';' && i + 1 < end && moreThanSpace(b, i + 1, end) ? MULTI : 0;
                default -> {
                }
            }
        }
        return found;
    }

    /** Whether [i, end) has a byte other than white space (a trailing ';' ends a statement, it adds none). */
    private static boolean moreThanSpace(ByteBuf b, int i, int end) {
        for (; i < end; i++) {
            byte c = b.getByte(i);
            if (c != ' ' && c != '\n' && c != '\r' && c != '\t') {
                return true;
            }
        }
        return false;
    }

    private static boolean matchesAt(ByteBuf b, int i, int end, byte[] word) {
        if (i + word.length > end) {
            return false;
        }
        for (int k = 0; k < word.length; k++) {
            int c = b.getByte(i + k);
            if (c >= 'A' && c <= 'Z') {
                c |= 0x20;
            }
            if (c != word[k]) {
                return false;
            }
        }
        return true;
    }

    /** A word starts at {@code i} (budget_lock is not GET_LOCK). */
    private static boolean wordStart(ByteBuf b, int from, int i) {
        return i == from || !identifierByte(b.getByte(i - 1));
    }

    private static boolean identifierByte(int c) {
        return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$'
                || (c & 0x80) != 0;
    }

    /**
     * One call without arguments of a function of interest: its bytes [start, end), which function ({@code name},
     * an index), and whether it needs an alias to keep its column's name.
     */
    record Call(int start, int end, boolean alias, int name) {
    }

    static List<Call> calls(ByteBuf b, int from, int len) {
        return calls(b, from, len, CONNECTION_ID_ONLY);
    }

    /**
     * The CONNECTION_ID() calls of a statement's text (bytes [from, from + len)) outside strings, quoted names and
     * comments. A call is aliased when it is an item of its own in a select list: after SELECT or a comma at the
     * select list's depth, and followed by a comma, FROM, INTO, the end of the statement or the parenthesis that
     * closes its subquery.
     */
    static List<Call> calls(ByteBuf b, int from, int len, byte[][] names) {
        return calls(b, from, len, names, false);
    }

    /** As above; with {@code firstStatement} the scan ends at the first ';' outside parentheses. */
    static List<Call> calls(ByteBuf b, int from, int len, byte[][] names, boolean firstStatement) {
        List<Call> calls = new ArrayList<>(1);
        int end = from + len;
        // selectList[d]: the text at parenthesis depth d is a select list (after SELECT, before its FROM/INTO/...).
        boolean[] selectList = new boolean[64];
        int depth = 0;
        int i = from;
        int lastToken = -1; // start of the last keyword or punctuation seen at code level (for "after SELECT or ,")
        String lastWord = null;
        while (i < end) {
            int c = b.getByte(i);
            if (c == '\'' || c == '"' || c == '`') {
                i = skipQuoted(b, i, end, c);
                lastWord = null;
                continue;
            }
            if (c == '#' || (c == '-' && i + 2 < end && b.getByte(i + 1) == '-' && Character.isWhitespace(b.getByte(i + 2)))) {
                while (i < end && b.getByte(i) != '\n') {
                    i++;
                }
                continue;
            }
            if (c == '/' && i + 1 < end && b.getByte(i + 1) == '*') {
                if (i + 2 < end && (b.getByte(i + 2) == '!' || b.getByte(i + 2) == '+')) {
                    // An executable comment (or an optimizer hint): its text is code. Skip the marker and version.
                    i += 3;
                    while (i < end && Character.isDigit(b.getByte(i))) {
                        i++;
                    }
                    continue;
                }
                int close = i + 2;
                while (close + 1 < end && !(b.getByte(close) == '*' && b.getByte(close + 1) == '/')) {
                    close++;
                }
                i = Math.min(end, close + 2);
                continue;
            }
            if (c == '*' && i + 1 < end && b.getByte(i + 1) == '/') {
                i += 2; // the end of an executable comment
                continue;
            }
            if (c == '(') {
                depth++;
                if (depth < selectList.length) {
                    selectList[depth] = false;
                }
                lastWord = "(";
                i++;
                continue;
            }
            if (c == ')') {
                depth = Math.max(0, depth - 1);
                lastWord = ")";
                i++;
                continue;
            }
            if (c == ',') {
                lastWord = ",";
                i++;
                continue;
            }
            if (c == ';') {
                if (firstStatement) {
                    break; // a later statement of a multi-statement reads what the earlier ones left
                }
                depth = 0;
                selectList[0] = false;
                lastWord = ";";
                i++;
                continue;
            }
            if (identifierByte(c)) {
                int start = i;
                while (i < end && identifierByte(b.getByte(i))) {
                    i++;
                }
                boolean qualified = start > from && b.getByte(start - 1) == '.';
                int name = -1;
                for (int n = 0; n < names.length && !qualified; n++) {
                    if (i - start == names[n].length && matchesAt(b, start, i, names[n])) {
                        name = n;
                    }
                }
                if (name >= 0) {
                    int j = skipSpace(b, i, end);
                    if (j < end && b.getByte(j) == '(') {
                        int k = skipSpace(b, j + 1, end);
                        if (k < end && b.getByte(k) == ')') {
                            boolean item = depth < selectList.length && selectList[depth]
                                    && ("SELECT".equals(lastWord) || ",".equals(lastWord) || "DISTINCT".equals(lastWord));
                            int after = skipSpace(b, k + 1, end);
                            boolean ends = after >= end || b.getByte(after) == ',' || b.getByte(after) == ';'
                                    || (b.getByte(after) == ')' && depth > 0)
                                    || keywordAt(b, after, end, "FROM") || keywordAt(b, after, end, "INTO");
                            calls.add(new Call(start, k + 1, item && ends, name));
                            i = k + 1;
                            lastWord = "call";
                            continue;
                        }
                    }
                }
                String word = i - start <= 8 ? b.toString(start, i - start, StandardCharsets.US_ASCII)
                        .toUpperCase(java.util.Locale.ROOT) : "word";
                if (depth < selectList.length) {
                    if ("SELECT".equals(word)) {
                        selectList[depth] = true;
                    } else if (selectList[depth] && ("FROM".equals(word) || "INTO".equals(word) || "WHERE".equals(word)
                            || "UNION".equals(word) || "LIMIT".equals(word) || "ORDER".equals(word)
                            || "GROUP".equals(word) || "HAVING".equals(word) || "WINDOW".equals(word))) {
                        selectList[depth] = false;
                    }
                }
                lastWord = word;
                continue;
            }
            if (!Character.isWhitespace(c)) {
                lastWord = "op";
            }
            i++;
        }
        return calls;
    }

    static int skipQuoted(ByteBuf b, int i, int end, int quote) {
        int after = closingQuote(b, i, end, quote);
        return after < 0 ? end : after;
    }

    /** After the quoted text opened at {@code i}: the index past its closing quote, or -1 when it is left open. */
    static int closingQuote(ByteBuf b, int i, int end, int quote) {
        i++;
        while (i < end) {
            int c = b.getByte(i);
            if (c == '\\' && quote != '`') {
                i += 2;
                continue;
            }
            if (c == quote) {
                if (i + 1 < end && b.getByte(i + 1) == quote) {
                    i += 2; // a doubled quote inside
                    continue;
                }
                return i + 1;
            }
            i++;
        }
        return -1;
    }

    private static int skipSpace(ByteBuf b, int i, int end) {
        while (i < end && Character.isWhitespace(b.getByte(i))) {
            i++;
        }
        return i;
    }

    private static boolean keywordAt(ByteBuf b, int i, int end, String word) {
        if (i + word.length() > end) {
            return false;
        }
        for (int k = 0; k < word.length(); k++) {
            if ((b.getByte(i + k) | 0x20) != (word.charAt(k) | 0x20)) {
                return false;
            }
        }
        return i + word.length() == end || !identifierByte(b.getByte(i + word.length()));
    }

    /**
     * The statement {@code [from, from + len)} with each of {@code calls} replaced by {@code id}, as a whole command
     * packet (header, command byte {@code command}, text); sequence id 0.
     */
    static ByteBuf rewrite(ByteBufAllocator alloc, int command, ByteBuf b, int from, int len, List<Call> calls, long id) {
        return rewrite(alloc, command, b, from, len, calls, new String[] {Long.toString(id)});
    }

    /** As above, each call replaced by {@code literals[call.name]}. */
    static ByteBuf rewrite(ByteBufAllocator alloc, int command, ByteBuf b, int from, int len, List<Call> calls,
                           String[] literals) {
        int extra = 0;
        for (Call c : calls) {
            extra += literals[c.name()].length() - (c.end() - c.start()) + (c.alias() ? 6 + (c.end() - c.start()) : 0);
        }
        int payload = 1 + len + extra;
        ByteBuf out = alloc.buffer(Packets.HEADER_SIZE + payload);
        Packets.writeHeader(out, payload, 0);
        out.writeByte(command);
        int at = from;
        for (Call c : calls) {
            out.writeBytes(b, at, c.start() - at);
            out.writeCharSequence(literals[c.name()], StandardCharsets.US_ASCII);
            if (c.alias()) {
                // AS `CONNECTION_ID()`, spelled as the client wrote it (a backquote cannot occur in it).
                out.writeCharSequence(" AS `", StandardCharsets.US_ASCII);
                out.writeBytes(b, c.start(), c.end() - c.start());
                out.writeByte('`');
            }
            at = c.end();
        }
        out.writeBytes(b, at, from + len - at);
        return out;
    }

    /**
     * Rewrites the CONNECTION_ID() calls of a COM_QUERY or COM_STMT_PREPARE (whole packet at {@code packet}, payload
     * length {@code len}) to {@code id}. Null when there is nothing to rewrite: no call outside strings, a statement
     * that reads the process list (its filters compare server thread ids; its rows are mapped instead), or one too
     * long.
     */
    static ByteBuf rewriteStatement(ByteBufAllocator alloc, ByteBuf in, int packet, int len, long id) {
        int text = packet + Packets.HEADER_SIZE + 1;
        int have = len - 1;
        if (have > MAX_REWRITE || in.writerIndex() - text < have) {
            return null;
        }
        int found = mentions(in, text, have);
        if ((found & CALL) == 0 || (found & PROCESSLIST) != 0) {
            return null;
        }
        List<Call> calls = calls(in, text, have);
        if (calls.isEmpty()) {
            return null;
        }
        return rewrite(alloc, in.getUnsignedByte(packet + Packets.HEADER_SIZE), in, text, have, calls, id);
    }

    /**
     * The statement (whole COM_QUERY packet at {@code packet}, payload length {@code len}) with its ROW_COUNT() and
     * FOUND_ROWS() calls replaced by the values the session's previous statement left, for a statement that runs on
     * another connection than that one did; null when it has none outside strings (or is too long).
     */
    static ByteBuf rewritePrevious(ByteBufAllocator alloc, ByteBuf in, int packet, int len, long rowCount, long foundRows) {
        int text = packet + Packets.HEADER_SIZE + 1;
        int have = len - 1;
        if (have > MAX_REWRITE || in.writerIndex() - text < have) {
            return null;
        }
        List<Call> calls = calls(in, text, have, PREVIOUS, true);
        if (calls.isEmpty()) {
            return null;
        }
        return rewrite(alloc, in.getUnsignedByte(packet + Packets.HEADER_SIZE), in, text, have, calls,
                new String[] {Long.toString(rowCount), Long.toString(foundRows)});
    }

    /** Whether the text has a user variable ({@code @name}, {@code @'name'}) outside strings, quoted names and comments. */
    static boolean userVariable(ByteBuf b, int from, int len) {
        int end = from + len;
        int i = from;
        while (i < end) {
            int c = b.getByte(i);
            if (c == '\'' || c == '"' || c == '`') {
                i = skipQuoted(b, i, end, c);
                continue;
            }
            if (c == '#' || (c == '-' && i + 2 < end && b.getByte(i + 1) == '-' && Character.isWhitespace(b.getByte(i + 2)))) {
                while (i < end && b.getByte(i) != '\n') {
                    i++;
                }
                continue;
            }
            if (c == '/' && i + 2 < end && b.getByte(i + 1) == '*' && b.getByte(i + 2) != '!') {
                int close = i + 2;
                while (close + 1 < end && !(b.getByte(close) == '*' && b.getByte(close + 1) == '/')) {
                    close++;
                }
                i = Math.min(end, close + 2);
                continue;
            }
            if (c == '@') {
                if (i + 1 < end && b.getByte(i + 1) == '@') {
                    i += 2; // a system variable: @@name
                    while (i < end && (identifierByte(b.getByte(i)) || b.getByte(i) == '.')) {
                        i++;
                    }
                    continue;
                }
                return true;
            }
            i++;
        }
        return false;
    }

    /**
     * The process list's id column of a result: SHOW PROCESSLIST's {@code Id} and the tables' {@code ID} /
     * {@code PROCESSLIST_ID} (information_schema.PROCESSLIST, performance_schema.processlist / threads,
     * sys.processlist's {@code conn_id}).
     */
    static boolean idColumn(String orgTable, String orgName, String name, int index, boolean showProcesslist) {
        String table = orgTable == null ? "" : orgTable.toLowerCase(java.util.Locale.ROOT);
        String column = orgName == null || orgName.isEmpty() ? name : orgName;
        if (column == null) {
            return false;
        }
        column = column.toLowerCase(java.util.Locale.ROOT);
        if (showProcesslist && index == 0 && "id".equals(column)) {
            return true;
        }
        if (table.equals("processlist") || table.equals("threads") || table.equals("x$processlist")
                || table.equals("session")) {
            return column.equals("id") || column.equals("processlist_id") || column.equals("conn_id");
        }
        return false;
    }

    /**
     * A text-protocol row (payload at {@code payload}, length {@code len}) with the values of {@code idColumns} that
     * are thread ids of Baton sessions' backends replaced by those sessions' ids; null when none is. The whole
     * packet, with sequence id {@code seq}.
     */
    static ByteBuf rewriteRow(ByteBufAllocator alloc, ByteBuf buf, int payload, int len, boolean[] idColumns,
                              Map<Long, Long> threadToSession, int seq) {
        int end = payload + len;
        int pos = payload;
        List<int[]> edits = null; // [valueStart, valueEnd, column]
        List<Long> ids = null;
        for (int col = 0; col < idColumns.length && pos < end; col++) {
            int first = buf.getUnsignedByte(pos);
            if (first == 0xFB) {
                pos++;
                continue; // NULL
            }
            int size = ProtocolIO.lenencIntSizeOf(first);
            if (size <= 0 || pos + size > end) {
                return null; // malformed: leave it to the client
            }
            long valueLen = ProtocolIO.getLenencInt(buf, pos);
            int valueStart = pos + size;
            if (valueLen < 0 || valueStart + valueLen > end) {
                return null;
            }
            int valueEnd = (int) (valueStart + valueLen);
            if (idColumns[col] && valueLen > 0 && valueLen <= 19) {
                Long session = threadToSession.get(parse(buf, valueStart, valueEnd));
                if (session != null) {
                    if (edits == null) {
                        edits = new ArrayList<>(1);
                        ids = new ArrayList<>(1);
                    }
                    edits.add(new int[] {pos, valueEnd});
                    ids.add(session);
                }
            }
            pos = valueEnd;
        }
        if (edits == null) {
            return null;
        }
        ByteBuf out = alloc.buffer(Packets.HEADER_SIZE + len + 8 * edits.size());
        int h = Packets.reserveHeader(out);
        int at = payload;
        for (int k = 0; k < edits.size(); k++) {
            int[] e = edits.get(k);
            out.writeBytes(buf, at, e[0] - at);
            ProtocolIO.writeLenencString(out, Long.toString(ids.get(k)), StandardCharsets.US_ASCII);
            at = e[1];
        }
        out.writeBytes(buf, at, end - at);
        Packets.setHeader(out, h, out.writerIndex() - h - Packets.HEADER_SIZE, seq);
        return out;
    }

    private static long parse(ByteBuf b, int from, int to) {
        long v = 0;
        for (int i = from; i < to; i++) {
            int c = b.getByte(i) - '0';
            if (c < 0 || c > 9) {
                return -1;
            }
            v = v * 10 + c;
        }
        return v;
    }
}
