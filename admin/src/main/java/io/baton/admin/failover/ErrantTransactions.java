package io.baton.admin.failover;

import io.baton.admin.topology.BinlogCoordinates;
import io.baton.admin.topology.GtidSet;
import io.baton.admin.topology.MariaDbGtids;
import io.baton.admin.topology.ServerConnection;
import io.baton.admin.topology.ServerState;
import io.baton.dialect.Dialect;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Transactions a server has that the source it is to follow does not: written on an old source after
 * its last transaction reached a replica, or written locally on a replica. Replicating anyway would
 * keep them there, different from everyone else (and often stop on a duplicate key: G26).
 *
 * <ul>
 *   <li>MySQL GTID: {@code GTID_SUBTRACT(server, source)};
 *   <li>MariaDB GTID: per domain and server id, GTIDs beyond what the source's {@code gtid_binlog_state}
 *       has from that server (a foreign server id, or a domain the source never saw);
 *   <li>file/position: events in the old source's binary log after the coordinates the new source had
 *       executed when it was promoted (from the failover report).
 * </ul>
 *
 * @param found whether there are errant transactions
 * @param description the exact transactions, or what could not be checked
 * @param blocking true when replicating is impossible whatever the operator says (e.g. purged transactions)
 * @param mariaDbStartPos MariaDB GTID: where the server must start replicating (the last GTID both have per domain)
 */
public record ErrantTransactions(boolean found, String description, boolean blocking, String mariaDbStartPos) {

    static final Set<String> HEADER_EVENTS = Set.of("Format_desc", "Previous_gtids", "Rotate", "Stop", "Gtid_list",
            "Binlog_checkpoint", "Start_encryption");

    /**
     * The manual's remedy for a lost source's unsent commits (MySQL GTID): each GTID {@code from} has and {@code to}
     * lacks is committed empty on {@code to}, so that {@code from} can follow {@code to} without errant transactions
     * (its rows stay on it alone, as they never reached a client as committed through a replica). Returns the set
     * committed, or null when there was none. At most {@code max} GTIDs, else IllegalArgumentException.
     */
    public static String commitEmpty(java.sql.Connection from, java.sql.Connection to, int max) throws SQLException {
        GtidSet mine = GtidSet.parse(executed(from)).subtract(GtidSet.parse(executed(to)));
        List<String> gtids = mine.each(max);
        if (gtids.isEmpty()) {
            return null;
        }
        try (java.sql.Statement s = to.createStatement()) {
            for (String g : gtids) {
                s.execute("SET GTID_NEXT = '" + g + "'");
                s.execute("BEGIN");
                s.execute("COMMIT");
            }
            s.execute("SET GTID_NEXT = 'AUTOMATIC'");
        }
        return mine.toString();
    }

    private static String executed(java.sql.Connection c) throws SQLException {
        try (java.sql.Statement s = c.createStatement(); java.sql.ResultSet rs = s.executeQuery(
                "SELECT @@GLOBAL.gtid_executed")) {
            return rs.next() ? rs.getString(1) : "";
        }
    }

    static ErrantTransactions none(String why) {
        return new ErrantTransactions(false, why, false, null);
    }

    /** MySQL GTID mode. */
    static ErrantTransactions mysqlGtid(ServerState server, ServerState source) {
        GtidSet errant = server.gtidExecuted().subtract(source.gtidExecuted());
        GtidSet purgedNeeded = source.gtidPurged().subtract(server.gtidExecuted());
        if (!purgedNeeded.isEmpty()) {
            return new ErrantTransactions(true, server.name() + " lacks transactions " + source.name()
                    + " has already purged from its binary log (" + purgedNeeded + "): it cannot catch up; rebuild it",
                    true, null);
        }
        if (errant.isEmpty()) {
            return none("no errant transactions: " + server.name() + "'s gtid_executed is contained in " + source.name() + "'s");
        }
        return new ErrantTransactions(true, errant.count() + " errant transaction(s) on " + server.name() + " that "
                + source.name() + " does not have: " + errant, false, null);
    }

    /** MariaDB GTID mode: compares gtid_binlog_state (and gtid_slave_pos) per domain and server id. */
    static ErrantTransactions mariaDbGtid(ServerState server, ServerState source) {
        List<MariaDbGtids.Gtid> mine = new ArrayList<>(server.gtidBinlogState().gtids());
        mine.addAll(server.gtidSlavePos().gtids());
        MariaDbGtids theirs = mariaDbHistory(source);
        List<String> errant = new ArrayList<>();
        Map<Long, MariaDbGtids.Gtid> start = new TreeMap<>();
        for (MariaDbGtids.Gtid g : mine) {
            var have = theirs.last(g.domain(), g.serverId());
            long haveSeq = have.map(MariaDbGtids.Gtid::seq).orElse(0L);
            if (haveSeq < g.seq()) {
                String range = g.domain() + "-" + g.serverId() + "-" + (haveSeq + 1)
                        + (haveSeq + 1 == g.seq() ? "" : " .. " + g);
                if (!errant.contains(range)) {
                    errant.add(range);
                }
                have.ifPresent(h -> start.merge(h.domain(), h, (a, b) -> a.seq() >= b.seq() ? a : b));
            } else {
                start.merge(g.domain(), g, (a, b) -> a.seq() >= b.seq() ? a : b);
            }
        }
        String startPos = String.join(",", start.values().stream().map(MariaDbGtids.Gtid::toString).toList());
        if (errant.isEmpty()) {
            return new ErrantTransactions(false, "no errant transactions: every GTID of " + server.name() + " ("
                    + server.gtidBinlogState() + ") is in " + source.name() + "'s history (" + source.gtidBinlogState() + ")",
                    false, startPos);
        }
        return new ErrantTransactions(true, "errant GTIDs on " + server.name() + " that " + source.name()
                + " never had (domain-server_id-seq_no): " + String.join(", ", errant), false, startPos);
    }

    /**
     * File/position mode, for the server that was the source: the events of its binary log after
     * the coordinates the new source had executed when promoted.
     */
    static ErrantTransactions positionOldSource(ServerConnection server, BinlogCoordinates applied) throws SQLException {
        Dialect d = server.dialect();
        List<String> events = new ArrayList<>();
        int transactions = 0;
        for (Map<String, String> log : server.rows(d.showBinaryLogs(), 10_000)) {
            BinlogCoordinates file = new BinlogCoordinates(log.get("Log_name"), 0);
            if (file.fileNumber() < applied.fileNumber()) {
                continue;
            }
            long from = file.fileNumber() == applied.fileNumber() ? applied.pos() : 4;
            for (Map<String, String> ev : server.rows(d.showBinlogEvents(file.file(), from, 10_000), 10_000)) {
                String type = ev.get("Event_type");
                if (HEADER_EVENTS.contains(type)) {
                    continue;
                }
                if ("Xid".equals(type) || ("Query".equals(type) && "COMMIT".equalsIgnoreCase(ev.get("Info")))) {
                    transactions++;
                }
                if (events.size() < 20) {
                    events.add(file.file() + ":" + ev.get("Pos") + " " + type + " " + ev.get("Info"));
                }
            }
        }
        if (events.isEmpty()) {
            return none("no divergent events: " + server.name() + "'s binary log ends where the new source stopped applying it ("
                    + applied + ")");
        }
        return new ErrantTransactions(true, server.name() + "'s binary log goes on after " + applied
                + ", where the new source stopped applying it: " + transactions + " transaction(s) no replica received: "
                + String.join(" | ", events) + (events.size() == 20 ? " | ..." : ""), false, null);
    }

    /** File/position mode, for a replica of the old source left out of a failover. */
    static ErrantTransactions positionReplica(ServerState server, BinlogCoordinates applied) {
        BinlogCoordinates mine = server.replica().executed();
        int c = mine.compareTo(applied);
        if (c == 0) {
            return none(server.name() + " executed the old source's binary log up to " + mine + ", as the new source had");
        }
        if (c < 0) {
            return new ErrantTransactions(true, server.name() + " executed the old source's binary log only up to " + mine
                    + " but the new source had reached " + applied + ": it would miss those transactions; rebuild it",
                    true, null);
        }
        return new ErrantTransactions(true, server.name() + " executed the old source's binary log up to " + mine
                + ", beyond " + applied + " where the new source stopped: those transactions are not on the new source",
                false, null);
    }

    // ------------------------------------------------------------------ failover: the source is gone

    /**
     * Failover, MySQL GTID: what a replica executed that the lost source had not executed when last
     * seen ({@code GTID_SUBTRACT(replica, source as last seen)}), less the source's own transactions
     * (its server_uuid): it may have committed more of those after it was last seen, and they reached
     * the replica from it.
     */
    static GtidSet mysqlAtFailover(GtidSet replica, GtidSet sourceLastSeen, String sourceUuid) {
        return withoutUuid(replica.subtract(sourceLastSeen), sourceUuid);
    }

    /**
     * Failover, MySQL GTID, when this process never saw the lost source alive: only a replica's own
     * writes (its server_uuid) can be told apart from the source's; those no other replica has are errant.
     */
    static GtidSet mysqlOwnWrites(GtidSet replica, String replicaUuid, GtidSet others) {
        return onlyUuid(replica, replicaUuid).subtract(others);
    }

    /**
     * Failover, MariaDB GTID (the analogue of {@link #mysqlAtFailover}): per domain, GTIDs of server ids
     * other than the lost source's beyond what the source had from that server id when last seen.
     * {@code gtid_binlog_state} keeps only the last GTID per domain and server id, so each entry names
     * that last GTID and where the source stood.
     *
     * @param replicaHistory the replica's gtid_binlog_state and gtid_slave_pos together
     * @param sourceHistory the same of the source as last seen
     */
    static List<String> mariaDbAtFailover(MariaDbGtids replicaHistory, MariaDbGtids sourceHistory, long sourceServerId,
                                          String sourceName) {
        return mariaDbBeyond(replicaHistory, g -> g.serverId() != sourceServerId, sourceHistory,
                g -> "the last from server_id " + g.serverId() + " in domain " + g.domain() + "; " + sourceName + " had");
    }

    /** MariaDB analogue of {@link #mysqlOwnWrites}: the replica's own server id GTIDs beyond what any other replica has. */
    static List<String> mariaDbOwnWrites(MariaDbGtids replicaHistory, long replicaServerId, MariaDbGtids others) {
        return mariaDbBeyond(replicaHistory, g -> g.serverId() == replicaServerId, others,
                g -> "written on server_id " + g.serverId() + " itself; the other replicas have");
    }

    /**
     * The replica's GTIDs chosen by {@code which} that are beyond what {@code reference} has from the
     * same domain and server id, each named with {@code why} and how far the reference goes.
     */
    private static List<String> mariaDbBeyond(MariaDbGtids replicaHistory, java.util.function.Predicate<MariaDbGtids.Gtid> which,
                                              MariaDbGtids reference,
                                              java.util.function.Function<MariaDbGtids.Gtid, String> why) {
        List<String> out = new ArrayList<>();
        for (MariaDbGtids.Gtid g : replicaHistory.gtids()) {
            if (!which.test(g)) {
                continue;
            }
            var had = reference.last(g.domain(), g.serverId());
            if (had.map(MariaDbGtids.Gtid::seq).orElse(0L) < g.seq()) {
                String e = g + " (" + why.apply(g) + " " + had.map(h -> "up to " + h).orElse("none from it") + ")";
                if (!out.contains(e)) {
                    out.add(e);
                }
            }
        }
        return out;
    }

    /** A MariaDB server's history: gtid_binlog_state (its binary log) and gtid_slave_pos (what it applied). */
    static MariaDbGtids mariaDbHistory(ServerState s) {
        return new MariaDbGtids(concat(s.gtidBinlogState().gtids(), s.gtidSlavePos().gtids()));
    }

    /** The set without the transactions of one server_uuid (tagged ones of that UUID included). */
    static GtidSet withoutUuid(GtidSet set, String uuid) {
        return uuid == null || uuid.isBlank() ? set : set.ofUuid(uuid, false);
    }

    /** The transactions of one server_uuid only. */
    static GtidSet onlyUuid(GtidSet set, String uuid) {
        return uuid == null || uuid.isBlank() ? GtidSet.EMPTY : set.ofUuid(uuid, true);
    }

    private static List<MariaDbGtids.Gtid> concat(List<MariaDbGtids.Gtid> a, List<MariaDbGtids.Gtid> b) {
        List<MariaDbGtids.Gtid> out = new ArrayList<>(a);
        out.addAll(b);
        return out;
    }
}
