package io.baton.protocol;

/**
  * Types of session state change entries in an OK packet (enum_session_state_type).
  *
  * <p>https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_ok_packet.html
  * (Session State Information) and
  * https://dev.mysql.com/doc/refman/8.0/en/session-state-tracking.html.
  */
public final class SessionTrackType {

    /** A session system variable changed: name and value. */
    public static final int SYSTEM_VARIABLES = 0;
    /** The current schema changed. */
    public static final int SCHEMA = 1;
    /** Some session state changed ("1"); session_track_state_change. */
    public static final int STATE_CHANGE = 2;
    /** GTIDs of the committed transaction; session_track_gtids. */
    public static final int GTIDS = 3;
    /** Statements that restore the transaction characteristics; session_track_transaction_info. */
    public static final int TRANSACTION_CHARACTERISTICS = 4;
    /** The eight-character transaction state; session_track_transaction_info. */
    public static final int TRANSACTION_STATE = 5;

    private static final String[] NAMES = {
        "SYSTEM_VARIABLES", "SCHEMA", "STATE_CHANGE", "GTIDS", "TRANSACTION_CHARACTERISTICS",
        "TRANSACTION_STATE",
    };

    private SessionTrackType() {}

    public static String name(int type) {
        return type >= 0 && type < NAMES.length ? NAMES[type] : "UNKNOWN(" + type + ")";
    }
}
