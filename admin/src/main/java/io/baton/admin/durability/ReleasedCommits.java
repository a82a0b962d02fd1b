package io.baton.admin.durability;

import io.baton.admin.failover.AckedWrites;
import io.baton.admin.topology.GtidSet;
import io.baton.admin.topology.MariaDbGtids;
import io.baton.admin.topology.ServerState;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GTIDs of the commit OKs that went to a client under durability.mode replica: what a failover's candidate must
 * hold (docs/durability.md, "Failover honours it"). Compact: one interval per source uuid (MySQL), the highest
 * sequence number per MariaDB domain and server id. Thread-safe.
 */
final class ReleasedCommits implements AckedWrites {
    private static final Logger log = LoggerFactory.getLogger(ReleasedCommits.class);

    /** MySQL: the released GTIDs. Guarded by this. */
    private GtidSet mysql = GtidSet.EMPTY;
    /** MariaDB: the highest released seq per "domain-server_id" (a gtid_binlog_state's key). Guarded by this. */
    private final Map<String, Long> mariaDb = new TreeMap<>();
    private final AtomicLong count = new AtomicLong();
    /** The source a failover under way replaces (null: none): see {@link AckedWrites#fence}. */
    private volatile String fenced;
    /** The same, as the cluster's route record says (see {@link AckedWrites#fenceRecorded}). */
    private volatile String recorded;

    /**
     * The GTIDs of the OKs about to be released join the set: the MySQL ones in one union for the batch (a union per
     * commit would copy the set once per commit, on the thread that releases them).
     */
    synchronized void addAll(List<String> gtids) {
        List<String> mysqlGtids = new ArrayList<>(gtids.size());
        for (String g : gtids) {
            if (g.indexOf(':') >= 0) {
                mysqlGtids.add(g);
            } else {
                add(g);
            }
        }
        if (mysqlGtids.isEmpty()) {
            return;
        }
        try {
            mysql = mysql.union(GtidSet.parse(String.join(",", mysqlGtids)));
            count.addAndGet(mysqlGtids.size());
        } catch (IllegalArgumentException e) {
            mysqlGtids.forEach(this::add); // one unreadable GTID: the others still join, that one is logged
        }
    }

    /** A released OK's GTID ({@code uuid:n}, or MariaDB {@code domain-server-seq}) joins the set. */
    synchronized void add(String gtid) {
        count.incrementAndGet();
        try {
            if (gtid.indexOf(':') >= 0) {
                mysql = mysql.union(GtidSet.parse(gtid));
            } else {
                for (MariaDbGtids.Gtid g : MariaDbGtids.parse(gtid).gtids()) {
                    mariaDb.merge(key(g), g.seq(), Math::max);
                }
            }
        } catch (IllegalArgumentException e) {
            log.warn("durability: cannot read the GTID '{}' of a commit: {}", gtid, e.getMessage());
        }
    }

    @Override
    public long count() {
        return count.get();
    }

    @Override
    public synchronized String missingFrom(ServerState s) {
        if (!mysql.isEmpty()) {
            return mysql.subtract(s.gtidExecuted() == null ? GtidSet.EMPTY : s.gtidExecuted()).toString();
        }
        if (!mariaDb.isEmpty()) {
            // The binlog state names each server's commits (log_slave_updates, which failover needs anyway).
            Map<String, Long> has = binlogState(s);
            List<String> lacks = new ArrayList<>();
            mariaDb.forEach((key, q) -> {
                long h = has.getOrDefault(key, 0L);
                if (h < q) {
                    lacks.add(key + "-" + (h + 1) + ".." + q);
                }
            });
            return String.join(",", lacks);
        }
        return "";
    }

    /**
     * Forgets the released MySQL GTIDs that every server a failover could promote has executed ({@code executed}: one
     * set per such server): they can no longer tell two candidates apart. Without it the set would grow by one interval
     * per commit whenever this node's commits interleave with commits it did not release (a cluster's other nodes,
     * writers that bypass Baton), and every release copies it.
     */
    synchronized void forgetHeldByAll(List<GtidSet> executed) {
        if (mysql.isEmpty() || executed.isEmpty()) {
            return;
        }
        GtidSet everywhere = executed.get(0);
        for (int i = 1; i < executed.size(); i++) {
            everywhere = everywhere.intersect(executed.get(i));
        }
        mysql = mysql.subtract(everywhere);
    }

    /** Intervals of the MySQL set kept now (baton_durability_released_intervals). */
    synchronized int intervals() {
        return mysql.intervals();
    }

    @Override
    public void fence(String lostSource) {
        fenced = lostSource;
        if (lostSource != null) {
            log.info("durability: commits made on {} wait for the failover's end before a replica's word releases them",
                    lostSource);
        }
    }

    @Override
    public void unfence() {
        fenced = null;
    }

    @Override
    public void fenceRecorded(String lostSource) {
        if (lostSource != null && !lostSource.equals(recorded)) {
            log.info("durability: the cluster's failover from {} is under way: commits made there wait for its end",
                    lostSource);
        }
        recorded = lostSource;
    }

    /** The source a failover under way replaces (its commits' OKs wait for its end), or null. */
    String fencedOrigin() {
        String own = fenced;
        return own != null ? own : recorded; // both name the lost source of the one failover under way
    }

    @Override
    public synchronized void settle(ServerState source) {
        if (source == null) {
            return;
        }
        if (!mysql.isEmpty()) {
            GtidSet lost = mysql.subtract(source.gtidExecuted() == null ? GtidSet.EMPTY : source.gtidExecuted());
            if (!lost.isEmpty()) {
                mysql = mysql.subtract(lost);
                log.warn("durability: acknowledged commits {} are not on the new source {}: no longer checked",
                        lost, source.name());
            }
        }
        if (!mariaDb.isEmpty()) {
            Map<String, Long> has = binlogState(source);
            mariaDb.replaceAll((key, q) -> Math.min(q, has.getOrDefault(key, 0L)));
            mariaDb.values().removeIf(q -> q == 0L);
        }
    }

    /** The last sequence number per domain and server id of a MariaDB server's gtid_binlog_state. */
    private static Map<String, Long> binlogState(ServerState s) {
        return s.gtidBinlogState() == null ? new HashMap<>() : lastSeqs(s.gtidBinlogState());
    }

    /** The highest sequence number per "domain-server_id" of {@code gtids}. */
    static Map<String, Long> lastSeqs(MariaDbGtids gtids) {
        Map<String, Long> last = new HashMap<>();
        for (MariaDbGtids.Gtid g : gtids.gtids()) {
            last.merge(key(g), g.seq(), Math::max);
        }
        return last;
    }

    static String key(MariaDbGtids.Gtid g) {
        return g.domain() + "-" + g.serverId();
    }
}
