package io.baton.dialect;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one place that knows each replication statement's form per server family and version.
 * Detected from the server's version string ({@code SELECT VERSION()}), never configured by hand.
 * Forms and traps are those measured in TOPOLOGY-FACTS.md (section 6, the syntax matrix).
 */
public enum Dialect {
    /** MySQL 5.7: SLAVE/MASTER keywords, no RESET MASTER TO, no GET_MASTER_PUBLIC_KEY. */
    MYSQL57,
    /** MySQL 8.0.0 – 8.0.21: SLAVE/MASTER keywords, GET_MASTER_PUBLIC_KEY. */
    MYSQL80_LEGACY,
    /** MySQL 8.0.22 – 8.3: REPLICA/SOURCE keywords, RESET MASTER. */
    MYSQL80,
    /** MySQL 8.4 and later: RESET BINARY LOGS AND GTIDS, SHOW BINARY LOG STATUS. */
    MYSQL84,
    /** MariaDB 10.x / 11.x: GTID always on (domain-server-seq), no super_read_only. */
    MARIADB;

    private static final Pattern VERSION = Pattern.compile("^(\\d+)\\.(\\d+)\\.(\\d+)");

    /** Detects the dialect from a server version string such as {@code 8.0.31} or {@code 10.11.19-MariaDB-log}. */
    public static Dialect of(String version) {
        if (version == null) {
            throw new IllegalArgumentException("no server version");
        }
        if (version.toLowerCase(Locale.ROOT).contains("mariadb")) {
            return MARIADB;
        }
        Matcher m = VERSION.matcher(version);
        if (!m.find()) {
            throw new IllegalArgumentException("unrecognized server version: " + version);
        }
        int major = Integer.parseInt(m.group(1));
        int minor = Integer.parseInt(m.group(2));
        int patch = Integer.parseInt(m.group(3));
        if (major < 5 || (major == 5 && minor < 7)) {
            throw new IllegalArgumentException("MySQL " + version + " is too old; Baton supports 5.7 and later");
        }
        if (major == 5) {
            return MYSQL57;
        }
        if (major == 8 && minor == 0) {
            return patch >= 22 ? MYSQL80 : MYSQL80_LEGACY;
        }
        if (major == 8 && minor < 4) {
            return MYSQL80;
        }
        return MYSQL84;
    }

    public boolean isMariaDb() {
        return this == MARIADB;
    }

    private boolean replicaKeywords() {
        return this == MYSQL80 || this == MYSQL84 || this == MARIADB;
    }

    private boolean sourceKeywords() {
        return this == MYSQL80 || this == MYSQL84;
    }

    public String startReplica() {
        return replicaKeywords() ? "START REPLICA" : "START SLAVE";
    }

    public String stopReplica() {
        return replicaKeywords() ? "STOP REPLICA" : "STOP SLAVE";
    }

    public String stopReplicaIoThread() {
        return replicaKeywords() ? "STOP REPLICA IO_THREAD" : "STOP SLAVE IO_THREAD";
    }

    public String stopReplicaSqlThread() {
        return replicaKeywords() ? "STOP REPLICA SQL_THREAD" : "STOP SLAVE SQL_THREAD";
    }

    public String startReplicaSqlThread() {
        return replicaKeywords() ? "START REPLICA SQL_THREAD" : "START SLAVE SQL_THREAD";
    }

    public String resetReplicaAll() {
        return replicaKeywords() ? "RESET REPLICA ALL" : "RESET SLAVE ALL";
    }

    /** Discards the binary logs (position-mode promotion only: see G13/G15 for GTID mode). */
    public String resetBinaryLogs() {
        return this == MYSQL84 ? "RESET BINARY LOGS AND GTIDS" : "RESET MASTER";
    }

    /** Current binary log file/position of this server (columns File, Position). */
    public String showBinaryLogStatus() {
        return this == MYSQL84 ? "SHOW BINARY LOG STATUS" : "SHOW MASTER STATUS";
    }

    /** Replication status; the column names differ: use {@link #col(ReplicaColumn)}. */
    public String showReplicaStatus() {
        // MariaDB accepts SHOW REPLICA STATUS but answers with the old column names.
        return sourceKeywords() ? "SHOW REPLICA STATUS" : "SHOW SLAVE STATUS";
    }

    public String showReplicas() {
        return sourceKeywords() ? "SHOW REPLICAS" : "SHOW SLAVE HOSTS";
    }

    /** The variable that fences a server against writes, including those of admin users where it exists. */
    public String readOnlyVariable() {
        return this == MARIADB ? "read_only" : "super_read_only";
    }

    /** Statements that make a server writable ({@code false}) or read-only ({@code true}). */
    public List<String> setReadOnly(boolean on) {
        if (this == MARIADB) {
            return List.of("SET GLOBAL read_only=" + (on ? "ON" : "OFF"));
        }
        // super_read_only=ON implies read_only=ON; read_only=OFF implies super_read_only=OFF.
        return on ? List.of("SET GLOBAL super_read_only=ON") : List.of("SET GLOBAL read_only=OFF");
    }

    /** Query returning one row with the executed GTID state ('' when GTID is off on MySQL). */
    public String gtidExecutedQuery() {
        // G11: on 5.7 the bare @@gtid_executed is the session variable.
        return this == MARIADB ? "SELECT @@GLOBAL.gtid_current_pos" : "SELECT @@GLOBAL.gtid_executed";
    }

    public String logReplicaUpdatesVariable() {
        return (this == MYSQL80 || this == MYSQL84) ? "log_replica_updates" : "log_slave_updates";
    }

    /** The command-line flag that sets {@link #logReplicaUpdatesVariable()}. */
    public String logReplicaUpdatesFlag(boolean on) {
        return "--" + logReplicaUpdatesVariable().replace('_', '-') + "=" + (on ? "ON" : "OFF");
    }

    /** Column of {@link #showReplicaStatus()} for a dialect-neutral meaning. */
    public String col(ReplicaColumn c) {
        return sourceKeywords() ? c.newName : c.oldName;
    }

    /** Builds CHANGE REPLICATION SOURCE TO / CHANGE MASTER TO for this dialect. */
    public String changeSource(ChangeSource cs) {
        boolean src = sourceKeywords();
        String p = src ? "SOURCE_" : "MASTER_";
        List<String> opts = new ArrayList<>();
        opts.add(p + "HOST=" + quote(cs.host()));
        opts.add(p + "PORT=" + cs.port());
        opts.add(p + "USER=" + quote(cs.user()));
        opts.add(p + "PASSWORD=" + quote(cs.password()));
        opts.add(p + "CONNECT_RETRY=" + cs.connectRetrySeconds());
        if (this != MARIADB) {
            // G17: MariaDB rejects MASTER_RETRY_COUNT in CHANGE MASTER (it is a server option there).
            opts.add(p + "RETRY_COUNT=" + cs.retryCount());
        }
        if (this == MYSQL80 || this == MYSQL84) {
            opts.add("GET_SOURCE_PUBLIC_KEY=1");
        } else if (this == MYSQL80_LEGACY) {
            opts.add("GET_MASTER_PUBLIC_KEY=1");
        }
        if (cs.gtid()) {
            if (this == MARIADB) {
                opts.add("MASTER_USE_GTID=slave_pos");
            } else {
                opts.add(p + "AUTO_POSITION=1");
            }
        } else {
            if (this == MARIADB) {
                // G16: MariaDB 10.10+ defaults to GTID; position mode must say so.
                opts.add("MASTER_USE_GTID=no");
            } else if (cs.autoPositionWasOn()) {
                opts.add(p + "AUTO_POSITION=0");
            }
            if (cs.logFile() != null) {
                opts.add(p + "LOG_FILE=" + quote(cs.logFile()));
                opts.add(p + "LOG_POS=" + cs.logPos());
            }
        }
        if (this == MARIADB && !cs.ssl()) {
            opts.add("MASTER_SSL=0");
        }
        return (src ? "CHANGE REPLICATION SOURCE TO " : "CHANGE MASTER TO ") + String.join(", ", opts);
    }

    /** Wait (up to timeoutSeconds) until this replica has executed the source's binlog file/position. */
    public String waitForPosition(String file, long pos, int timeoutSeconds) {
        String fn = sourceKeywords() ? "SOURCE_POS_WAIT" : "MASTER_POS_WAIT";
        return "SELECT " + fn + "(" + quote(file) + ", " + pos + ", " + timeoutSeconds + ")";
    }

    /** Wait (up to timeoutSeconds) until this replica has executed a GTID set (MySQL) or position (MariaDB). */
    public String waitForGtids(String gtids, int timeoutSeconds) {
        String fn = this == MARIADB ? "MASTER_GTID_WAIT" : "WAIT_FOR_EXECUTED_GTID_SET";
        return "SELECT " + fn + "(" + quote(gtids) + ", " + timeoutSeconds + ")";
    }

    /** Whether the result of {@link #waitForGtids} means reached (0 on both; 1 or -1 is a timeout, NULL an error). */
    public boolean gtidWaitReached(String result) {
        return "0".equals(result);
    }

    /** Whether the result of {@link #waitForPosition} means reached (events waited for, or 0; -1 is a timeout, NULL an error). */
    public boolean positionWaitReached(String result) {
        return result != null && Long.parseLong(result) >= 0;
    }

    /**
     * One row describing the server, with the same column labels on every dialect: server_id,
     * read_only, super_read_only (NULL on MariaDB: G18), log_bin, log_replica_updates, gtid_mode
     * ('ON' on MariaDB, where GTIDs always exist), gtid_executed and gtid_purged (MySQL, G11: always
     * GLOBAL), server_uuid (MySQL), and MariaDB's gtid_current_pos, gtid_slave_pos, gtid_binlog_pos,
     * gtid_binlog_state (NULL on MySQL).
     */
    public String serverStateQuery() {
        String lru = "@@GLOBAL." + logReplicaUpdatesVariable() + " AS log_replica_updates";
        if (this == MARIADB) {
            return "SELECT VERSION() AS version, @@GLOBAL.server_id AS server_id, @@GLOBAL.read_only AS read_only,"
                    + " NULL AS super_read_only, @@GLOBAL.log_bin AS log_bin, " + lru + ", 'ON' AS gtid_mode,"
                    + " NULL AS gtid_executed, NULL AS gtid_purged, NULL AS server_uuid,"
                    + " @@GLOBAL.gtid_current_pos AS gtid_current_pos, @@GLOBAL.gtid_slave_pos AS gtid_slave_pos,"
                    + " @@GLOBAL.gtid_binlog_pos AS gtid_binlog_pos, @@GLOBAL.gtid_binlog_state AS gtid_binlog_state";
        }
        return "SELECT VERSION() AS version, @@GLOBAL.server_id AS server_id, @@GLOBAL.read_only AS read_only,"
                + " @@GLOBAL.super_read_only AS super_read_only, @@GLOBAL.log_bin AS log_bin, " + lru + ","
                + " @@GLOBAL.gtid_mode AS gtid_mode, @@GLOBAL.gtid_executed AS gtid_executed,"
                + " @@GLOBAL.gtid_purged AS gtid_purged, @@GLOBAL.server_uuid AS server_uuid,"
                + " NULL AS gtid_current_pos, NULL AS gtid_slave_pos, NULL AS gtid_binlog_pos, NULL AS gtid_binlog_state";
    }

    /** The binary log files with their sizes (columns Log_name, File_size), the same on every dialect. */
    public String showBinaryLogs() {
        return "SHOW BINARY LOGS";
    }

    /** Events of one binary log file from a position (columns Log_name, Pos, Event_type, Server_id, End_log_pos, Info). */
    public String showBinlogEvents(String file, long fromPos, int limit) {
        return "SHOW BINLOG EVENTS IN " + quote(file) + " FROM " + fromPos + " LIMIT " + limit;
    }

    /**
     * MariaDB only: where a replica starts in GTID mode ({@code MASTER_USE_GTID=slave_pos}); replication
     * threads must be stopped. Not written to the binary log.
     */
    public String setGtidSlavePos(String pos) {
        if (this != MARIADB) {
            throw new UnsupportedOperationException("gtid_slave_pos exists on MariaDB only");
        }
        return "SET GLOBAL gtid_slave_pos = " + quote(pos);
    }

    /** Quotes a string literal for SQL (single quotes, backslash and quote escaped). */
    public static String quote(String s) {
        return "'" + s.replace("\\", "\\\\").replace("'", "\\'") + "'";
    }

    /** Dialect-neutral names for the columns of SHOW REPLICA/SLAVE STATUS. */
    public enum ReplicaColumn {
        IO_RUNNING("Replica_IO_Running", "Slave_IO_Running"),
        SQL_RUNNING("Replica_SQL_Running", "Slave_SQL_Running"),
        SOURCE_HOST("Source_Host", "Master_Host"),
        SOURCE_PORT("Source_Port", "Master_Port"),
        SOURCE_LOG_FILE("Source_Log_File", "Master_Log_File"),
        READ_SOURCE_LOG_POS("Read_Source_Log_Pos", "Read_Master_Log_Pos"),
        RELAY_SOURCE_LOG_FILE("Relay_Source_Log_File", "Relay_Master_Log_File"),
        EXEC_SOURCE_LOG_POS("Exec_Source_Log_Pos", "Exec_Master_Log_Pos"),
        SECONDS_BEHIND("Seconds_Behind_Source", "Seconds_Behind_Master"),
        SQL_RUNNING_STATE("Replica_SQL_Running_State", "Slave_SQL_Running_State"),
        IO_STATE("Replica_IO_State", "Slave_IO_State"),
        LAST_IO_ERROR("Last_IO_Error", "Last_IO_Error"),
        LAST_SQL_ERROR("Last_SQL_Error", "Last_SQL_Error"),
        LAST_IO_ERRNO("Last_IO_Errno", "Last_IO_Errno"),
        LAST_SQL_ERRNO("Last_SQL_Errno", "Last_SQL_Errno"),
        SOURCE_SERVER_ID("Source_Server_Id", "Master_Server_Id"),
        /** MySQL only (NULL on MariaDB). */
        RETRIEVED_GTID_SET("Retrieved_Gtid_Set", "Retrieved_Gtid_Set"),
        /** MySQL only (NULL on MariaDB). */
        EXECUTED_GTID_SET("Executed_Gtid_Set", "Executed_Gtid_Set"),
        /** MySQL only: 1 when the replica uses GTID auto-positioning. */
        AUTO_POSITION("Auto_Position", "Auto_Position"),
        /** MariaDB only: No, Slave_Pos or Current_Pos. */
        USING_GTID("Using_Gtid", "Using_Gtid"),
        /** MariaDB only: the GTID position the IO thread has received up to. */
        GTID_IO_POS("Gtid_IO_Pos", "Gtid_IO_Pos");

        final String newName;
        final String oldName;

        ReplicaColumn(String newName, String oldName) {
            this.newName = newName;
            this.oldName = oldName;
        }
    }

    /** Options of a CHANGE SOURCE statement. */
    public record ChangeSource(String host, int port, String user, String password, boolean gtid,
                               String logFile, long logPos, int connectRetrySeconds, int retryCount,
                               boolean ssl, boolean autoPositionWasOn) {
        public static ChangeSource gtid(String host, int port, String user, String password) {
            return new ChangeSource(host, port, user, password, true, null, 0, 1, 86400, false, false);
        }

        public static ChangeSource position(String host, int port, String user, String password, String file, long pos) {
            return new ChangeSource(host, port, user, password, false, file, pos, 1, 86400, false, false);
        }
    }
}
