package io.baton.admin.topology;

import io.baton.dialect.Dialect;
import io.baton.dialect.Dialect.ReplicaColumn;
import java.util.Locale;
import java.util.Map;

/**
 * One row of {@code SHOW REPLICA STATUS} / {@code SHOW SLAVE STATUS}, with dialect-neutral names.
 * {@code ioRunning} is the server's text: Yes, No or Connecting.
 */
public record ReplicaStatus(String sourceHost, int sourcePort, String ioRunning, String sqlRunning, String ioState,
                            String sqlState, int lastIoErrno, String lastIoError, int lastSqlErrno, String lastSqlError,
                            BinlogCoordinates received, BinlogCoordinates executed, Long secondsBehind,
                            String retrievedGtidSet, String executedGtidSet, boolean autoPosition, String usingGtid,
                            String gtidIoPos, long sourceServerId) {

    public static ReplicaStatus of(Dialect d, Map<String, String> row) {
        if (row == null || row.isEmpty()) {
            return null;
        }
        return new ReplicaStatus(
                row.get(d.col(ReplicaColumn.SOURCE_HOST)),
                intOf(row.get(d.col(ReplicaColumn.SOURCE_PORT))),
                row.get(d.col(ReplicaColumn.IO_RUNNING)),
                row.get(d.col(ReplicaColumn.SQL_RUNNING)),
                nz(row.get(d.col(ReplicaColumn.IO_STATE))),
                nz(row.get(d.col(ReplicaColumn.SQL_RUNNING_STATE))),
                intOf(row.get(d.col(ReplicaColumn.LAST_IO_ERRNO))),
                nz(row.get(d.col(ReplicaColumn.LAST_IO_ERROR))),
                intOf(row.get(d.col(ReplicaColumn.LAST_SQL_ERRNO))),
                nz(row.get(d.col(ReplicaColumn.LAST_SQL_ERROR))),
                new BinlogCoordinates(nz(row.get(d.col(ReplicaColumn.SOURCE_LOG_FILE))),
                        longOf(row.get(d.col(ReplicaColumn.READ_SOURCE_LOG_POS)))),
                new BinlogCoordinates(nz(row.get(d.col(ReplicaColumn.RELAY_SOURCE_LOG_FILE))),
                        longOf(row.get(d.col(ReplicaColumn.EXEC_SOURCE_LOG_POS)))),
                row.get(d.col(ReplicaColumn.SECONDS_BEHIND)) == null ? null
                        : longOf(row.get(d.col(ReplicaColumn.SECONDS_BEHIND))),
                oneLine(row.get(d.col(ReplicaColumn.RETRIEVED_GTID_SET))),
                oneLine(row.get(d.col(ReplicaColumn.EXECUTED_GTID_SET))),
                "1".equals(row.get(d.col(ReplicaColumn.AUTO_POSITION))),
                row.get(d.col(ReplicaColumn.USING_GTID)),
                row.get(d.col(ReplicaColumn.GTID_IO_POS)),
                longOf(row.get(d.col(ReplicaColumn.SOURCE_SERVER_ID))));
    }

    public String sourceAddress() {
        return sourceHost + ":" + sourcePort;
    }

    public boolean ioThreadRunning() {
        return "Yes".equalsIgnoreCase(ioRunning);
    }

    public boolean sqlThreadRunning() {
        return "Yes".equalsIgnoreCase(sqlRunning);
    }

    public boolean bothThreadsRunning() {
        return ioThreadRunning() && sqlThreadRunning();
    }

    /**
     * The IO thread has lost its source: it is reconnecting, or it stopped on an error. A thread
     * stopped by an operator without error says nothing either way.
     */
    public boolean lostSource() {
        return lastIoErrno != 0 || "Connecting".equalsIgnoreCase(ioRunning);
    }

    /** The SQL thread's state is the manual's "has read all relay log; waiting for more updates". */
    public boolean hasReadAllRelayLog() {
        return sqlState.toLowerCase(Locale.ROOT).contains("has read all relay log");
    }

    /** Everything received from the source has been executed (same file and position). */
    public boolean executedAllReceived() {
        return received.file().equals(executed.file()) && received.pos() == executed.pos();
    }

    /** MariaDB replicas in GTID mode (Using_Gtid Slave_Pos or Current_Pos). */
    public boolean mariaDbGtid() {
        return usingGtid != null && !"No".equalsIgnoreCase(usingGtid);
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }

    private static String oneLine(String s) {
        return s == null ? null : s.replace("\n", "").replace("\r", "");
    }

    private static int intOf(String s) {
        return s == null || s.isBlank() ? 0 : Integer.parseInt(s.trim());
    }

    private static long longOf(String s) {
        return s == null || s.isBlank() ? 0 : Long.parseLong(s.trim());
    }
}
