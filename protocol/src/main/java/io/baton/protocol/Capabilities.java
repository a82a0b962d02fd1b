package io.baton.protocol;

/**
  * Capability flags (the {@code CLIENT_*} bits) negotiated in the connection phase.
  *
  * <p>https://dev.mysql.com/doc/dev/mysql-server/latest/group__group__cs__capabilities__flags.html.
  * The negotiated set is the client's flags ANDed with the server's; every encoder and decoder here
  * that depends on it takes that negotiated int. MariaDB's extended capabilities (bits 32..63) travel
  * separately, in the reserved bytes of the handshake; see {@link #MARIADB_CLIENT_PROGRESS}.
  */
public final class Capabilities {

    /** Old "long password" flag; MariaDB reuses bit 0 as CLIENT_MYSQL (set by MySQL peers). */
    public static final int CLIENT_LONG_PASSWORD = 1;
    /** Affected rows = found rows instead of changed rows. */
    public static final int CLIENT_FOUND_ROWS = 1 << 1;
    /** Column definitions carry all flags (ColumnDefinition320). */
    public static final int CLIENT_LONG_FLAG = 1 << 2;
    /** The handshake response carries an initial schema. */
    public static final int CLIENT_CONNECT_WITH_DB = 1 << 3;
    /** Don't allow database.table.column (deprecated). */
    public static final int CLIENT_NO_SCHEMA = 1 << 4;
    /** zlib compression of the packet stream. */
    public static final int CLIENT_COMPRESS = 1 << 5;
    /** Special handling of ODBC behaviour (no effect since 3.22). */
    public static final int CLIENT_ODBC = 1 << 6;
    /** Client can handle LOAD DATA LOCAL INFILE requests (0xFB). */
    public static final int CLIENT_LOCAL_FILES = 1 << 7;
    /** Parser ignores spaces before '('. */
    public static final int CLIENT_IGNORE_SPACE = 1 << 8;
    /** The 4.1 protocol: ERR with SQLSTATE, OK with warnings, ColumnDefinition41. */
    public static final int CLIENT_PROTOCOL_41 = 1 << 9;
    /** wait_timeout becomes interactive_timeout. */
    public static final int CLIENT_INTERACTIVE = 1 << 10;
    /** Client switches to TLS after the SSLRequest. */
    public static final int CLIENT_SSL = 1 << 11;
    /** Client-side only: don't issue SIGPIPE. */
    public static final int CLIENT_IGNORE_SIGPIPE = 1 << 12;
    /** OK packets carry status flags (implied by CLIENT_PROTOCOL_41). */
    public static final int CLIENT_TRANSACTIONS = 1 << 13;
    /** Unused (was the 4.1 protocol flag). */
    public static final int CLIENT_RESERVED = 1 << 14;
    /** Auth response is length-prefixed (1 byte); 20-byte scramble. Also CLIENT_RESERVED2. */
    public static final int CLIENT_SECURE_CONNECTION = 1 << 15;
    /** COM_QUERY may carry several statements separated by ';'. */
    public static final int CLIENT_MULTI_STATEMENTS = 1 << 16;
    /** Client can handle multiple result sets from COM_QUERY. */
    public static final int CLIENT_MULTI_RESULTS = 1 << 17;
    /** Client can handle multiple result sets from COM_STMT_EXECUTE (CALL, OUT params). */
    public static final int CLIENT_PS_MULTI_RESULTS = 1 << 18;
    /** Pluggable authentication: plugin names in the handshake, AuthSwitchRequest. */
    public static final int CLIENT_PLUGIN_AUTH = 1 << 19;
    /** The handshake response carries connection attributes. */
    public static final int CLIENT_CONNECT_ATTRS = 1 << 20;
    /** The auth response in the handshake response is a {@code string<lenenc>}. */
    public static final int CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA = 1 << 21;
    /** Client can handle expired passwords (sandbox mode). */
    public static final int CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS = 1 << 22;
    /** OK packets may carry session state changes (SERVER_SESSION_STATE_CHANGED). */
    public static final int CLIENT_SESSION_TRACK = 1 << 23;
    /** EOF packets are replaced by OK packets with a 0xFE header; no EOF after metadata. */
    public static final int CLIENT_DEPRECATE_EOF = 1 << 24;
    /** Result sets may omit column definitions (resultset_metadata=NONE), flagged per result. */
    public static final int CLIENT_OPTIONAL_RESULTSET_METADATA = 1 << 25;
    /** zstd compression of the packet stream. */
    public static final int CLIENT_ZSTD_COMPRESSION_ALGORITHM = 1 << 26;
    /** COM_QUERY and COM_STMT_EXECUTE carry query attributes. */
    public static final int CLIENT_QUERY_ATTRIBUTES = 1 << 27;
    /** Multi-factor authentication (AuthNextFactor, 0x02). */
    public static final int MULTI_FACTOR_AUTHENTICATION = 1 << 28;
    /** Reserved for extending the 32-bit flag word. */
    public static final int CLIENT_CAPABILITY_EXTENSION = 1 << 29;
    /** Client-side only: verify the server certificate. */
    public static final int CLIENT_SSL_VERIFY_SERVER_CERT = 1 << 30;
    /** Client-side only: don't reset options after a failed connect. */
    public static final int CLIENT_REMEMBER_OPTIONS = 1 << 31;

    /**
      * Flags that belong to one hop (client-proxy or proxy-server) and must not be copied from the
      * client's negotiated set to the backend connection: TLS, compression and client-side options.
      */
    public static final int PER_HOP =
            CLIENT_SSL | CLIENT_COMPRESS | CLIENT_ZSTD_COMPRESSION_ALGORITHM
                    | CLIENT_SSL_VERIFY_SERVER_CERT | CLIENT_REMEMBER_OPTIONS | CLIENT_IGNORE_SIGPIPE;

    // MariaDB extended capabilities: bits of the separate 32-bit extension word.
    /** MariaDB: progress-report packets (ERR with errno 0xFFFF) during long statements. */
    public static final int MARIADB_CLIENT_PROGRESS = 1;
    /** MariaDB: COM_MULTI (removed in 10.6). */
    public static final int MARIADB_CLIENT_COM_MULTI = 1 << 1;
    /** MariaDB: COM_STMT_BULK_EXECUTE. */
    public static final int MARIADB_CLIENT_STMT_BULK_OPERATIONS = 1 << 2;
    /** MariaDB: extended type information in column definitions. */
    public static final int MARIADB_CLIENT_EXTENDED_METADATA = 1 << 3;
    /** MariaDB: COM_STMT_EXECUTE may skip column definitions the client has cached. */
    public static final int MARIADB_CLIENT_CACHE_METADATA = 1 << 4;
    /** MariaDB: bulk execution returns one result per parameter set. */
    public static final int MARIADB_CLIENT_BULK_UNIT_RESULTS = 1 << 5;

    private static final String[] NAMES = {
        "CLIENT_LONG_PASSWORD", "CLIENT_FOUND_ROWS", "CLIENT_LONG_FLAG", "CLIENT_CONNECT_WITH_DB",
        "CLIENT_NO_SCHEMA", "CLIENT_COMPRESS", "CLIENT_ODBC", "CLIENT_LOCAL_FILES",
        "CLIENT_IGNORE_SPACE", "CLIENT_PROTOCOL_41", "CLIENT_INTERACTIVE", "CLIENT_SSL",
        "CLIENT_IGNORE_SIGPIPE", "CLIENT_TRANSACTIONS", "CLIENT_RESERVED", "CLIENT_SECURE_CONNECTION",
        "CLIENT_MULTI_STATEMENTS", "CLIENT_MULTI_RESULTS", "CLIENT_PS_MULTI_RESULTS",
        "CLIENT_PLUGIN_AUTH", "CLIENT_CONNECT_ATTRS", "CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA",
        "CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS", "CLIENT_SESSION_TRACK", "CLIENT_DEPRECATE_EOF",
        "CLIENT_OPTIONAL_RESULTSET_METADATA", "CLIENT_ZSTD_COMPRESSION_ALGORITHM",
        "CLIENT_QUERY_ATTRIBUTES", "MULTI_FACTOR_AUTHENTICATION", "CLIENT_CAPABILITY_EXTENSION",
        "CLIENT_SSL_VERIFY_SERVER_CERT", "CLIENT_REMEMBER_OPTIONS",
    };

    private Capabilities() {}

    /** True if every bit of {@code flag} is set in {@code capabilities}. */
    public static boolean has(int capabilities, int flag) {
        return (capabilities & flag) == flag;
    }

    /** The name of a single flag bit, e.g. {@code CLIENT_DEPRECATE_EOF}. */
    public static String name(int flag) {
        if (Integer.bitCount(flag) != 1) {
            throw new IllegalArgumentException("not a single flag: 0x" + Integer.toHexString(flag));
        }
        return NAMES[Integer.numberOfTrailingZeros(flag)];
    }

    /** The set flags by name, for logs: {@code CLIENT_PROTOCOL_41|CLIENT_SSL}. */
    public static String toString(int capabilities) {
        StringBuilder sb = new StringBuilder();
        for (int bit = 0; bit < 32; bit++) {
            if ((capabilities & (1 << bit)) != 0) {
                if (sb.length() > 0) {
                    sb.append('|');
                }
                sb.append(NAMES[bit]);
            }
        }
        return sb.length() == 0 ? "0" : sb.toString();
    }
}
