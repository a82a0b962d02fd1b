package io.baton.protocol;

/**
  * Server status flags, carried by OK and EOF packets.
  *
  * <p>https://dev.mysql.com/doc/dev/mysql-server/latest/mysql__com_8h.html (enum
  * SERVER_STATUS_flags_enum).
  */
public final class ServerStatus {

    /** A transaction is active. */
    public static final int SERVER_STATUS_IN_TRANS = 1;
    /** Autocommit mode is on. */
    public static final int SERVER_STATUS_AUTOCOMMIT = 1 << 1;
    /** Another result (result set or OK) follows this one. */
    public static final int SERVER_MORE_RESULTS_EXISTS = 1 << 3;
    public static final int SERVER_QUERY_NO_GOOD_INDEX_USED = 1 << 4;
    public static final int SERVER_QUERY_NO_INDEX_USED = 1 << 5;
    /** COM_STMT_EXECUTE opened a cursor: rows come with COM_STMT_FETCH. */
    public static final int SERVER_STATUS_CURSOR_EXISTS = 1 << 6;
    /** COM_STMT_FETCH sent the cursor's last row. */
    public static final int SERVER_STATUS_LAST_ROW_SENT = 1 << 7;
    /** The current schema was dropped. */
    public static final int SERVER_STATUS_DB_DROPPED = 1 << 8;
    /** sql_mode NO_BACKSLASH_ESCAPES is active. */
    public static final int SERVER_STATUS_NO_BACKSLASH_ESCAPES = 1 << 9;
    /** A prepared statement was re-prepared and its metadata changed. */
    public static final int SERVER_STATUS_METADATA_CHANGED = 1 << 10;
    public static final int SERVER_QUERY_WAS_SLOW = 1 << 11;
    /** This result set holds the OUT parameters of a CALL. */
    public static final int SERVER_PS_OUT_PARAMS = 1 << 12;
    /** The active transaction is read-only. */
    public static final int SERVER_STATUS_IN_TRANS_READONLY = 1 << 13;
    /** The OK packet carries session state changes (with CLIENT_SESSION_TRACK). */
    public static final int SERVER_SESSION_STATE_CHANGED = 1 << 14;

    private static final String[] NAMES = {
        "SERVER_STATUS_IN_TRANS", "SERVER_STATUS_AUTOCOMMIT", "0x4", "SERVER_MORE_RESULTS_EXISTS",
        "SERVER_QUERY_NO_GOOD_INDEX_USED", "SERVER_QUERY_NO_INDEX_USED", "SERVER_STATUS_CURSOR_EXISTS",
        "SERVER_STATUS_LAST_ROW_SENT", "SERVER_STATUS_DB_DROPPED", "SERVER_STATUS_NO_BACKSLASH_ESCAPES",
        "SERVER_STATUS_METADATA_CHANGED", "SERVER_QUERY_WAS_SLOW", "SERVER_PS_OUT_PARAMS",
        "SERVER_STATUS_IN_TRANS_READONLY", "SERVER_SESSION_STATE_CHANGED", "0x8000",
    };

    private ServerStatus() {}

    public static boolean inTransaction(int status) {
        return (status & SERVER_STATUS_IN_TRANS) != 0;
    }

    public static boolean autocommit(int status) {
        return (status & SERVER_STATUS_AUTOCOMMIT) != 0;
    }

    public static boolean moreResults(int status) {
        return (status & SERVER_MORE_RESULTS_EXISTS) != 0;
    }

    /** The set flags by name, for logs. */
    public static String toString(int status) {
        StringBuilder sb = new StringBuilder();
        for (int bit = 0; bit < 16; bit++) {
            if ((status & (1 << bit)) != 0) {
                if (sb.length() > 0) {
                    sb.append('|');
                }
                sb.append(NAMES[bit]);
            }
        }
        return sb.length() == 0 ? "0" : sb.toString();
    }
}
