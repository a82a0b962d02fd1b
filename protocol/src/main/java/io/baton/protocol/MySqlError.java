package io.baton.protocol;

import io.baton.protocol.message.ErrPacket;
import java.util.Objects;

/**
  * A MySQL error as the protocol carries it: error number, SQLSTATE and message.
  *
  * <p>The constants are the errors a proxy sends on its own behalf, with the server's standard
  * errno, SQLSTATE and message text (see {@code share/messages_to_clients.txt} of the server and
  * https://dev.mysql.com/doc/mysql-errors/8.0/en/server-error-reference.html). Messages with
  * placeholders have a factory method that fills them in. {@link #sqlStateFor(int)} is the one
  * table from errno to SQLSTATE used when a caller only knows the errno.
  *
  * @param errno the MySQL error number (2 bytes on the wire)
  * @param sqlState the five-character SQLSTATE
  * @param message the human-readable message
  */
public record MySqlError(int errno, String sqlState, String message) {

    /** The SQLSTATE of errors that have no more specific one. */
    public static final String GENERAL_ERROR = "HY000";

    public static final MySqlError ER_CON_COUNT_ERROR =
            new MySqlError(1040, "08004", "Too many connections");
    public static final MySqlError ER_HANDSHAKE_ERROR =
            new MySqlError(1043, "08S01", "Bad handshake");
    public static final MySqlError ER_DBACCESS_DENIED_ERROR =
            new MySqlError(1044, "42000", "Access denied for user");
    public static final MySqlError ER_ACCESS_DENIED_ERROR =
            new MySqlError(1045, "28000", "Access denied");
    public static final MySqlError ER_NO_DB_ERROR =
            new MySqlError(1046, "3D000", "No database selected");
    public static final MySqlError ER_UNKNOWN_COM_ERROR =
            new MySqlError(1047, "08S01", "Unknown command");
    public static final MySqlError ER_BAD_DB_ERROR =
            new MySqlError(1049, "42000", "Unknown database");
    public static final MySqlError ER_SERVER_SHUTDOWN =
            new MySqlError(1053, "08S01", "Server shutdown in progress");
    public static final MySqlError ER_PARSE_ERROR =
            new MySqlError(1064, "42000", "You have an error in your SQL syntax");
    public static final MySqlError ER_UNKNOWN_ERROR =
            new MySqlError(1105, "HY000", "Unknown error");
    public static final MySqlError ER_HOST_NOT_PRIVILEGED =
            new MySqlError(1130, "HY000", "Host is not allowed to connect to this MySQL server");
    public static final MySqlError ER_ABORTING_CONNECTION =
            new MySqlError(1152, "08S01", "Aborted connection");
    public static final MySqlError ER_NET_PACKET_TOO_LARGE =
            new MySqlError(1153, "08S01", "Got a packet bigger than 'max_allowed_packet' bytes");
    public static final MySqlError ER_NET_PACKETS_OUT_OF_ORDER =
            new MySqlError(1156, "08S01", "Got packets out of order");
    public static final MySqlError ER_NET_READ_ERROR =
            new MySqlError(1158, "08S01", "Got an error reading communication packets");
    public static final MySqlError ER_NET_READ_INTERRUPTED =
            new MySqlError(1159, "08S01", "Got timeout reading communication packets");
    public static final MySqlError ER_NET_ERROR_ON_WRITE =
            new MySqlError(1160, "08S01", "Got an error writing communication packets");
    public static final MySqlError ER_NET_WRITE_INTERRUPTED =
            new MySqlError(1161, "08S01", "Got timeout writing communication packets");
    public static final MySqlError ER_TOO_MANY_USER_CONNECTIONS =
            new MySqlError(1203, "42000", "User already has more than 'max_user_connections' active connections");
    public static final MySqlError ER_LOCK_WAIT_TIMEOUT =
            new MySqlError(1205, "HY000", "Lock wait timeout exceeded; try restarting transaction");
    public static final MySqlError ER_LOCK_DEADLOCK =
            new MySqlError(1213, "40001", "Deadlock found when trying to get lock; try restarting transaction");
    public static final MySqlError ER_NOT_SUPPORTED_YET =
            new MySqlError(1235, "42000", "This version of MySQL doesn't yet support this");
    public static final MySqlError ER_UNKNOWN_STMT_HANDLER =
            new MySqlError(1243, "HY000", "Unknown prepared statement handler");
    public static final MySqlError ER_NOT_SUPPORTED_AUTH_MODE =
            new MySqlError(1251, "08004",
                    "Client does not support authentication protocol requested by server; consider upgrading MySQL client");
    public static final MySqlError ER_OPTION_PREVENTS_STATEMENT =
            new MySqlError(1290, "HY000", "The MySQL server is running with the --read-only option so it cannot execute this statement");
    public static final MySqlError ER_QUERY_INTERRUPTED =
            new MySqlError(1317, "70100", "Query execution was interrupted");
    public static final MySqlError ER_MALFORMED_PACKET =
            new MySqlError(1835, "HY000", "Malformed communication packet.");
    public static final MySqlError ER_MUST_CHANGE_PASSWORD_LOGIN =
            new MySqlError(1862, "HY000",
                    "Your password has expired. To log in you must change it using a client that supports expired passwords.");
    /** MariaDB's "connection was killed" (MySQL reports a killed session with 1317 or 3169). */
    public static final MySqlError ER_CONNECTION_KILLED =
            new MySqlError(1927, "70100", "Connection was killed");
    public static final MySqlError ER_QUERY_TIMEOUT =
            new MySqlError(3024, "HY000", "Query execution was interrupted, maximum statement execution time exceeded");
    public static final MySqlError ER_SESSION_WAS_KILLED =
            new MySqlError(3169, "HY000", "Session was killed");
    /**
      * Client-library error 2013 (CR_SERVER_LOST). A proxy sends it, inside an ERR packet, for a
      * statement whose outcome it cannot know because the server went away while it ran.
      */
    public static final MySqlError CR_SERVER_LOST =
            new MySqlError(2013, "HY000", "Lost connection to MySQL server during query");
    /** Client-library error 2006 (CR_SERVER_GONE_ERROR). */
    public static final MySqlError CR_SERVER_GONE_ERROR =
            new MySqlError(2006, "HY000", "MySQL server has gone away");

    private static final MySqlError[] KNOWN = {
        ER_CON_COUNT_ERROR, ER_HANDSHAKE_ERROR, ER_DBACCESS_DENIED_ERROR, ER_ACCESS_DENIED_ERROR,
        ER_NO_DB_ERROR, ER_UNKNOWN_COM_ERROR, ER_BAD_DB_ERROR, ER_SERVER_SHUTDOWN, ER_PARSE_ERROR,
        ER_UNKNOWN_ERROR, ER_HOST_NOT_PRIVILEGED, ER_ABORTING_CONNECTION, ER_NET_PACKET_TOO_LARGE,
        ER_NET_PACKETS_OUT_OF_ORDER, ER_NET_READ_ERROR, ER_NET_READ_INTERRUPTED, ER_NET_ERROR_ON_WRITE,
        ER_NET_WRITE_INTERRUPTED, ER_TOO_MANY_USER_CONNECTIONS, ER_LOCK_WAIT_TIMEOUT, ER_LOCK_DEADLOCK,
        ER_NOT_SUPPORTED_YET, ER_UNKNOWN_STMT_HANDLER, ER_NOT_SUPPORTED_AUTH_MODE,
        ER_OPTION_PREVENTS_STATEMENT, ER_QUERY_INTERRUPTED, ER_MALFORMED_PACKET,
        ER_MUST_CHANGE_PASSWORD_LOGIN, ER_CONNECTION_KILLED, ER_QUERY_TIMEOUT, ER_SESSION_WAS_KILLED,
        CR_SERVER_LOST, CR_SERVER_GONE_ERROR,
    };

    public MySqlError {
        if (errno < 0 || errno > 0xFFFF) {
            throw new IllegalArgumentException("errno out of range: " + errno);
        }
        Objects.requireNonNull(sqlState, "sqlState");
        Objects.requireNonNull(message, "message");
        if (sqlState.length() != 5) {
            throw new IllegalArgumentException("SQLSTATE must have 5 characters: " + sqlState);
        }
    }

    /** An error with the SQLSTATE this table assigns to {@code errno} ({@code HY000} if unknown). */
    public static MySqlError of(int errno, String message) {
        return new MySqlError(errno, sqlStateFor(errno), message);
    }

    /** The SQLSTATE of a known errno; {@code HY000} for the others. */
    public static String sqlStateFor(int errno) {
        for (MySqlError e : KNOWN) {
            if (e.errno == errno) {
                return e.sqlState;
            }
        }
        return GENERAL_ERROR;
    }

    /** The same error with another message. */
    public MySqlError withMessage(String newMessage) {
        return new MySqlError(errno, sqlState, newMessage);
    }

    /** {@code Access denied for user 'u'@'h' (using password: YES)}. */
    public static MySqlError accessDenied(String user, String host, boolean usingPassword) {
        return ER_ACCESS_DENIED_ERROR.withMessage(
                "Access denied for user '" + user + "'@'" + host + "' (using password: "
                        + (usingPassword ? "YES" : "NO") + ")");
    }

    /** {@code Access denied for user 'u'@'h' to database 'db'}. */
    public static MySqlError databaseAccessDenied(String user, String host, String database) {
        return ER_DBACCESS_DENIED_ERROR.withMessage(
                "Access denied for user '" + user + "'@'" + host + "' to database '" + database + "'");
    }

    /** {@code Unknown database 'db'}. */
    public static MySqlError unknownDatabase(String database) {
        return ER_BAD_DB_ERROR.withMessage("Unknown database '" + database + "'");
    }

    /** {@code This version of MySQL doesn't yet support 'what'}. */
    public static MySqlError notSupportedYet(String what) {
        return ER_NOT_SUPPORTED_YET.withMessage("This version of MySQL doesn't yet support '" + what + "'");
    }

    /** {@code Unknown prepared statement handler (id) given to what}. */
    public static MySqlError unknownStatement(long statementId, String command) {
        return ER_UNKNOWN_STMT_HANDLER.withMessage(
                "Unknown prepared statement handler (" + statementId + ") given to " + command);
    }

    /** The ERR packet that carries this error. */
    public ErrPacket toErrPacket() {
        return new ErrPacket(errno, sqlState, message);
    }

    @Override
    public String toString() {
        return "ERROR " + errno + " (" + sqlState + "): " + message;
    }
}
