package io.baton.admin.failover;

import io.baton.admin.topology.BinlogCoordinates;
import io.baton.admin.topology.GtidSet;
import io.baton.admin.topology.MariaDbGtids;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * How much of the lost source's history a replica has executed, in the terms of the replication
 * mode: a MySQL GTID set, a MariaDB GTID position, or coordinates in the source's binary log.
 */
public sealed interface Progress permits Progress.Gtids, Progress.MariaDb, Progress.Position {

    enum Comparison { AHEAD, SAME, BEHIND, DIVERGED }

    /** This progress compared with another: AHEAD means this one has executed all the other has, and more. */
    Comparison compare(Progress other);

    /** A number that grows with progress, to rank replicas that cannot be compared (drifted apart). */
    long rank();

    /** What the other has executed that this one has not (for reports), or "" if nothing. */
    String missingFrom(Progress other);

    /** MySQL: {@code gtid_executed}. */
    record Gtids(GtidSet executed) implements Progress {
        @Override
        public Comparison compare(Progress other) {
            GtidSet o = ((Gtids) other).executed;
            boolean hasAll = executed.containsAll(o);
            boolean hasMore = !executed.subtract(o).isEmpty();
            if (hasAll) {
                return hasMore ? Comparison.AHEAD : Comparison.SAME;
            }
            return o.containsAll(executed) ? Comparison.BEHIND : Comparison.DIVERGED;
        }

        @Override
        public long rank() {
            return executed.count();
        }

        @Override
        public String missingFrom(Progress other) {
            return ((Gtids) other).executed.subtract(executed).toString();
        }

        @Override
        public String toString() {
            return "gtid_executed " + (executed.isEmpty() ? "''" : executed.toString());
        }
    }

    /** MariaDB: {@code gtid_slave_pos}, the last GTID applied per domain. */
    record MariaDb(MariaDbGtids position) implements Progress {
        @Override
        public Comparison compare(Progress other) {
            Map<Long, Long> mine = position.seqByDomain();
            Map<Long, Long> theirs = ((MariaDb) other).position.seqByDomain();
            Set<Long> domains = new HashSet<>(mine.keySet());
            domains.addAll(theirs.keySet());
            boolean ahead = false;
            boolean behind = false;
            for (Long d : domains) {
                long a = mine.getOrDefault(d, 0L);
                long b = theirs.getOrDefault(d, 0L);
                ahead |= a > b;
                behind |= a < b;
            }
            if (ahead && behind) {
                return Comparison.DIVERGED;
            }
            return ahead ? Comparison.AHEAD : behind ? Comparison.BEHIND : Comparison.SAME;
        }

        @Override
        public long rank() {
            return position.seqByDomain().values().stream().mapToLong(Long::longValue).sum();
        }

        @Override
        public String missingFrom(Progress other) {
            Map<Long, Long> mine = position.seqByDomain();
            StringBuilder sb = new StringBuilder();
            for (Map.Entry<Long, Long> e : ((MariaDb) other).position.seqByDomain().entrySet()) {
                long have = mine.getOrDefault(e.getKey(), 0L);
                if (e.getValue() > have) {
                    sb.append(sb.length() == 0 ? "" : ", ").append("domain ").append(e.getKey()).append(" seq ")
                            .append(have + 1).append("..").append(e.getValue());
                }
            }
            return sb.toString();
        }

        @Override
        public String toString() {
            return "gtid_slave_pos " + (position.isEmpty() ? "''" : position.toString());
        }
    }

    /**
     * File/position mode: where in the source's binary log the replica's SQL thread is
     * (Relay_Source_Log_File, Exec_Source_Log_Pos). Only comparable between replicas of the same source.
     */
    record Position(String sourceAddress, BinlogCoordinates executed) implements Progress {
        @Override
        public Comparison compare(Progress other) {
            Position o = (Position) other;
            if (!sourceAddress.equals(o.sourceAddress)) {
                return Comparison.DIVERGED;
            }
            int c = executed.compareTo(o.executed);
            return c > 0 ? Comparison.AHEAD : c < 0 ? Comparison.BEHIND : Comparison.SAME;
        }

        @Override
        public long rank() {
            return executed.fileNumber() * (1L << 40) + executed.pos();
        }

        @Override
        public String missingFrom(Progress other) {
            Position o = (Position) other;
            return executed.compareTo(o.executed) >= 0 ? "" : "binary log of " + sourceAddress + " from " + executed
                    + " to " + o.executed;
        }

        @Override
        public String toString() {
            return "executed " + sourceAddress + " " + executed;
        }
    }
}
