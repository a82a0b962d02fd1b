package io.baton.proxy;

import io.netty.buffer.ByteBuf;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Statement inspection at the byte level: decides cheaply whether the head of a COM_QUERY can matter to
 * Baton (state that cannot move, a KILL to rewrite), so that the common statement is relayed without
 * being decoded. What the head means is then {@link SessionState#headEffects}'s and {@link #kill}'s job.
 */
final class StatementHead {
    /** How much of a statement is decoded for inspection. */
    static final int LENGTH = 512;
    /** A comment that may follow a statement: a trailing tag must not send Baton's id to the server unchanged. */
    private static final String TRAILING_COMMENT = "(?:/\\*(?![!+]|M!)(?:[^*]|\\*(?!/))*\\*/|(?:--(?=\\s)|#)[^\\n]*)";
    private static final Pattern KILL = Pattern.compile("^\\s*KILL\\s+(?:(QUERY|CONNECTION)\\s+)?(\\d{1,10})\\s*(?:"
            + TRAILING_COMMENT + "\\s*)*;?\\s*(?:" + TRAILING_COMMENT + "\\s*)*$", Pattern.CASE_INSENSITIVE);

    /** KILL [QUERY|CONNECTION] n, as Baton sees it: kind null for a plain KILL. */
    record Kill(String kind, long connectionId) {
    }

    private StatementHead() {
    }

    /**
     * Byte-level prefilter for {@link SessionState#headEffects} and KILL: only a statement starting with
     * CR(EATE TEMPORARY), LO(CK), UN(LOCK) or KI(LL), or mentioning _LOCK (GET_LOCK,
     * RELEASE_ALL_LOCKS) within its head, can matter. Everything else skips the decoding and the regexes.
     * The head is {@link #LENGTH} bytes from the first word: leading comments, however long, come before it.
     */
    static boolean mayChangeUnmovableState(ByteBuf b, int from, int len) {
        int i = skipLeading(b, from, from + len);
        int end = Math.min(from + len, i + LENGTH);
        if (i == end) {
            return false;
        }
        int first = b.getByte(i) | 0x20;
        int second = i + 1 < end ? b.getByte(i + 1) | 0x20 : 0;
        if ((first == 'c' && second == 'r') || (first == 'l' && second == 'o') || (first == 'u' && second == 'n')
                || (first == 'k' && second == 'i') || (first == '/' && second == '*')) {
            return true; // an executable comment that opens the statement may hide a KILL (/*!KILL 5*/)
        }
        for (int j = i; j + 4 < end; j++) {
            if (b.getByte(j) == '_' && (b.getByte(j + 1) | 0x20) == 'l' && (b.getByte(j + 2) | 0x20) == 'o'
                    && (b.getByte(j + 3) | 0x20) == 'c' && (b.getByte(j + 4) | 0x20) == 'k') {
                return true;
            }
        }
        return false;
    }

    /**
     * The index of the first byte at or after {@code i} that is neither white space nor a comment ({@code /* *}{@code /},
     * {@code -- }, {@code #}), so that the rules that look at how a statement starts see {@code /* app *}{@code / LOCK
     * TABLES} as LOCK TABLES. An executable comment ({@code /*!}, MariaDB's {@code /*M!}) is part of the statement:
     * it stops here, as does an unterminated comment. (Optimizer hints, {@code /*+}, count only after a statement's
     * first word: at its start they are a comment.)
     */
    static int skipLeading(ByteBuf b, int i, int end) {
        while (i < end) {
            byte c = b.getByte(i);
            if (Character.isWhitespace(c)) {
                i++;
            } else if (c == '/' && i + 2 < end && b.getByte(i + 1) == '*' && b.getByte(i + 2) != '!'
                    && !(b.getByte(i + 2) == 'M' && i + 3 < end && b.getByte(i + 3) == '!')) {
                int j = i + 2;
                while (j + 1 < end && !(b.getByte(j) == '*' && b.getByte(j + 1) == '/')) {
                    j++;
                }
                if (j + 1 >= end) {
                    return i;
                }
                i = j + 2;
            } else if (c == '#' || (c == '-' && i + 2 < end && b.getByte(i + 1) == '-'
                    && Character.isWhitespace(b.getByte(i + 2)))) {
                while (i < end && b.getByte(i) != '\n') {
                    i++;
                }
            } else {
                return i;
            }
        }
        return i;
    }

    /** No later statements. */
    static final int[] NONE = new int[0];
    /**
     * A multi-statement Baton cannot split as the server will (a string or quoted name left open: another sql_mode,
     * such as NO_BACKSLASH_ESCAPES, reads it otherwise): what its later statements do is not known.
     */
    static final int[] UNSURE = new int[0];
    /** A compound statement's text (CREATE PROCEDURE ... BEGIN ...; ...; END): its ';' are its body's, run later. */
    static final int[] BODY = new int[0];
    /** A multi-statement relayed as it arrives (64 KiB and more): Baton sees only what has arrived when it goes. */
    static final int[] STREAMED = new int[0];

    /** Between the words of a CREATE as mysqldump writes it too: blanks, and executable comments' edges. */
    private static final String SEP = "(?:\\s|\\*/|/\\*!\\d*)+";
    private static final String NAME = "(?:`[^`]*`|'[^']*'|\"[^\"]*\"|[\\w.$%-]+)";
    /**
     * CREATE [OR REPLACE] [DEFINER = user] [SQL SECURITY x] [AGGREGATE] PROCEDURE | FUNCTION | TRIGGER | EVENT |
     * PACKAGE, or ALTER [DEFINER = user] EVENT: a text whose body has statements of its own, run later. Also as
     * mysqldump writes it ({@code /*!50003 CREATE*}{@code / /*!50017 DEFINER=`u`@`h`*}{@code / /*!50003 TRIGGER}).
     */
    private static final Pattern COMPOUND = Pattern.compile("^(?:/\\*(?-i:M)?!\\d*)?\\s*(?:CREATE(?:" + SEP + "OR" + SEP
            + "REPLACE)?(?:" + SEP + "DEFINER\\s*=\\s*(?:CURRENT_USER(?:\\s*\\(\\s*\\))?|" + NAME + "(?:\\s*@\\s*" + NAME
            + ")?))?(?:" + SEP + "SQL" + SEP + "SECURITY" + SEP + "\\w+)?(?:" + SEP + "AGGREGATE)?" + SEP
            + "(?:PROCEDURE|FUNCTION|TRIGGER|EVENT|PACKAGE)|ALTER(?:" + SEP + "DEFINER\\s*=\\s*(?:CURRENT_USER(?:\\s*\\("
            + "\\s*\\))?|" + NAME + "(?:\\s*@\\s*" + NAME + ")?))?" + SEP + "EVENT)\\b", Pattern.CASE_INSENSITIVE);

    /**
     * Where the statements after the first of a multi-statement start (their first word, leading comments skipped),
     * in bytes [from, end): split at each ';' outside strings, quoted names and comments (an executable comment's text,
     * {@code /*!} or {@code /*M!}, is code), empty statements left out. {@link #BODY} for a CREATE or ALTER of a
     * procedure, function, trigger or event (its body's statements do not run now), {@link #UNSURE} when a string or
     * quoted name is left open at the end.
     */
    static int[] laterStatements(ByteBuf b, int from, int end) {
        int first = skipLeading(b, from, end);
        int c0 = first + 1 < end ? b.getByte(first) | 0x20 : 0;
        int c1 = first + 1 < end ? b.getByte(first + 1) | 0x20 : 0;
        if (((c0 == 'c' && c1 == 'r') || (c0 == 'a' && c1 == 'l') || (c0 == '/' && c1 == ('*' | 0x20)))
                && COMPOUND.matcher(b.toString(first, Math.min(end - first, LENGTH),
                java.nio.charset.StandardCharsets.UTF_8)).lookingAt()) {
            return BODY;
        }
        return split(b, first, end);
    }

    /** The starts of the statements after the first in [first, end), as {@link #laterStatements} without its BODY. */
    static int[] split(ByteBuf b, int first, int end) {
        int[] out = NONE;
        int n = 0;
        int i = first;
        while (i < end) {
            int c = b.getByte(i);
            if (c == '\'' || c == '"' || c == '`') {
                int after = ConnectionIds.closingQuote(b, i, end, c);
                if (after < 0) {
                    return UNSURE;
                }
                i = after;
            } else if (c == '/' && i + 1 < end && b.getByte(i + 1) == '*' && !(i + 2 < end && (b.getByte(i + 2) == '!'
                    || (b.getByte(i + 2) == 'M' && i + 3 < end && b.getByte(i + 3) == '!')))) {
                int close = i + 2;
                while (close + 1 < end && !(b.getByte(close) == '*' && b.getByte(close + 1) == '/')) {
                    close++;
                }
                i = Math.min(end, close + 2);
            } else if (c == '#' || (c == '-' && i + 2 < end && b.getByte(i + 1) == '-'
                    && Character.isWhitespace(b.getByte(i + 2)))) {
                while (i < end && b.getByte(i) != '\n') {
                    i++;
                }
            } else if (c == ';') {
                int next = skipLeading(b, i + 1, end);
                if (next < end && b.getByte(next) != ';') {
                    if (n == out.length) {
                        out = java.util.Arrays.copyOf(out, Math.max(4, n * 2));
                    }
                    out[n++] = next;
                }
                i = next;
            } else {
                i++;
            }
        }
        return n == out.length ? out : java.util.Arrays.copyOf(out, n);
    }

    /**
     * {@code text} with its strings, quoted names and comments turned into blanks (the same length, so positions stay):
     * what of it is code. An executable comment's text ({@code /*!}, {@code /*M!}) is code; a string left open blanks
     * the rest.
     */
    static String codeOnly(CharSequence text) {
        StringBuilder out = new StringBuilder(text);
        int n = text.length();
        int i = 0;
        while (i < n) {
            char c = text.charAt(i);
            int to = i;
            if (c == '\'' || c == '"' || c == '`') {
                to = i + 1;
                while (to < n) {
                    char d = text.charAt(to);
                    if (d == '\\' && c != '`') {
                        to += 2;
                    } else if (d == c && to + 1 < n && text.charAt(to + 1) == c) {
                        to += 2;
                    } else if (d == c) {
                        to++;
                        break;
                    } else {
                        to++;
                    }
                }
            } else if (c == '/' && i + 1 < n && text.charAt(i + 1) == '*' && !(i + 2 < n && (text.charAt(i + 2) == '!'
                    || (text.charAt(i + 2) == 'M' && i + 3 < n && text.charAt(i + 3) == '!')))) {
                to = i + 2;
                while (to + 1 < n && !(text.charAt(to) == '*' && text.charAt(to + 1) == '/')) {
                    to++;
                }
                to = Math.min(n, to + 2);
            } else if (c == '#' || (c == '-' && i + 2 < n && text.charAt(i + 1) == '-'
                    && Character.isWhitespace(text.charAt(i + 2)))) {
                to = i;
                while (to < n && text.charAt(to) != '\n') {
                    to++;
                }
            }
            if (to > i) {
                for (int k = i; k < Math.min(to, n); k++) {
                    out.setCharAt(k, ' ');
                }
                i = to;
            } else {
                i++;
            }
        }
        return out.toString();
    }

    /** KILL as the first word, also inside an executable comment that opens the statement ({@code /*!KILL 5*}{@code /}). */
    private static final Pattern KILL_WORD = Pattern.compile("^(?:/\\*(?-i:M)?!\\d*\\s*)?KILL\\b", Pattern.CASE_INSENSITIVE);

    /** Whether {@code head} (from its first word) is a KILL statement. */
    static boolean startsWithKill(String head) {
        return KILL_WORD.matcher(head).lookingAt();
    }

    /** The KILL this whole statement is, or null when it is something else. */
    static Kill kill(String statement) {
        Matcher m = KILL.matcher(statement);
        return m.matches() ? new Kill(m.group(1), Long.parseLong(m.group(2))) : null;
    }
}
