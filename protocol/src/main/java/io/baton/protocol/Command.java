package io.baton.protocol;

/**
  * Command bytes: the first byte of every packet a client sends in the command phase.
  *
  * <p>https://dev.mysql.com/doc/dev/mysql-server/latest/my__command_8h.html (enum_server_command)
  * and https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html.
  */
public final class Command {

    public static final int COM_SLEEP = 0x00;
    public static final int COM_QUIT = 0x01;
    public static final int COM_INIT_DB = 0x02;
    public static final int COM_QUERY = 0x03;
    public static final int COM_FIELD_LIST = 0x04;
    public static final int COM_CREATE_DB = 0x05;
    public static final int COM_DROP_DB = 0x06;
    public static final int COM_REFRESH = 0x07;
    public static final int COM_SHUTDOWN = 0x08;
    public static final int COM_STATISTICS = 0x09;
    public static final int COM_PROCESS_INFO = 0x0A;
    public static final int COM_CONNECT = 0x0B;
    public static final int COM_PROCESS_KILL = 0x0C;
    public static final int COM_DEBUG = 0x0D;
    public static final int COM_PING = 0x0E;
    public static final int COM_TIME = 0x0F;
    public static final int COM_DELAYED_INSERT = 0x10;
    public static final int COM_CHANGE_USER = 0x11;
    public static final int COM_BINLOG_DUMP = 0x12;
    public static final int COM_TABLE_DUMP = 0x13;
    public static final int COM_CONNECT_OUT = 0x14;
    public static final int COM_REGISTER_SLAVE = 0x15;
    public static final int COM_STMT_PREPARE = 0x16;
    public static final int COM_STMT_EXECUTE = 0x17;
    public static final int COM_STMT_SEND_LONG_DATA = 0x18;
    public static final int COM_STMT_CLOSE = 0x19;
    public static final int COM_STMT_RESET = 0x1A;
    public static final int COM_SET_OPTION = 0x1B;
    public static final int COM_STMT_FETCH = 0x1C;
    public static final int COM_DAEMON = 0x1D;
    public static final int COM_BINLOG_DUMP_GTID = 0x1E;
    public static final int COM_RESET_CONNECTION = 0x1F;
    public static final int COM_CLONE = 0x20;
    public static final int COM_SUBSCRIBE_GROUP_REPLICATION_STREAM = 0x21;
    /** MariaDB: execute a prepared statement with many parameter sets. */
    public static final int COM_STMT_BULK_EXECUTE = 0xFA;
    /** MariaDB: several commands in one packet (removed in 10.6). */
    public static final int COM_MULTI = 0xFE;

    /** COM_SET_OPTION operations. */
    public static final int MYSQL_OPTION_MULTI_STATEMENTS_ON = 0;
    public static final int MYSQL_OPTION_MULTI_STATEMENTS_OFF = 1;

    private static final String[] NAMES = {
        "COM_SLEEP", "COM_QUIT", "COM_INIT_DB", "COM_QUERY", "COM_FIELD_LIST", "COM_CREATE_DB",
        "COM_DROP_DB", "COM_REFRESH", "COM_SHUTDOWN", "COM_STATISTICS", "COM_PROCESS_INFO",
        "COM_CONNECT", "COM_PROCESS_KILL", "COM_DEBUG", "COM_PING", "COM_TIME", "COM_DELAYED_INSERT",
        "COM_CHANGE_USER", "COM_BINLOG_DUMP", "COM_TABLE_DUMP", "COM_CONNECT_OUT",
        "COM_REGISTER_SLAVE", "COM_STMT_PREPARE", "COM_STMT_EXECUTE", "COM_STMT_SEND_LONG_DATA",
        "COM_STMT_CLOSE", "COM_STMT_RESET", "COM_SET_OPTION", "COM_STMT_FETCH", "COM_DAEMON",
        "COM_BINLOG_DUMP_GTID", "COM_RESET_CONNECTION", "COM_CLONE",
        "COM_SUBSCRIBE_GROUP_REPLICATION_STREAM",
    };

    private Command() {}

    /** The name of a command byte, e.g. {@code COM_QUERY}; {@code COM_UNKNOWN(0x42)} if unknown. */
    public static String name(int command) {
        if (command >= 0 && command < NAMES.length) {
            return NAMES[command];
        }
        if (command == COM_STMT_BULK_EXECUTE) {
            return "COM_STMT_BULK_EXECUTE";
        }
        if (command == COM_MULTI) {
            return "COM_MULTI";
        }
        return "COM_UNKNOWN(0x" + Integer.toHexString(command) + ")";
    }

    /**
      * False for the commands the server never answers: COM_QUIT, COM_STMT_CLOSE and
      * COM_STMT_SEND_LONG_DATA.
      */
    public static boolean expectsResponse(int command) {
        return command != COM_QUIT && command != COM_STMT_CLOSE && command != COM_STMT_SEND_LONG_DATA;
    }

    /**
      * True for the commands whose bytes 1..4 are a prepared-statement id: COM_STMT_EXECUTE,
      * COM_STMT_SEND_LONG_DATA, COM_STMT_CLOSE, COM_STMT_RESET, COM_STMT_FETCH and MariaDB's
      * COM_STMT_BULK_EXECUTE.
      */
    public static boolean carriesStatementId(int command) {
        switch (command) {
            case COM_STMT_EXECUTE:
            case COM_STMT_SEND_LONG_DATA:
            case COM_STMT_CLOSE:
            case COM_STMT_RESET:
            case COM_STMT_FETCH:
            case COM_STMT_BULK_EXECUTE:
                return true;
            default:
                return false;
        }
    }
}
