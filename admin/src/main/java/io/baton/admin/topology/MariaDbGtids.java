package io.baton.admin.topology;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * A MariaDB GTID list such as {@code 0-1-6,1-2-3} ({@code domain-server_id-seq_no}), as
 * {@code @@gtid_slave_pos}, {@code @@gtid_current_pos} (one GTID per domain) and
 * {@code @@gtid_binlog_state} (one GTID per domain and server id) return it. Immutable.
 */
public record MariaDbGtids(List<Gtid> gtids) {
    public static final MariaDbGtids EMPTY = new MariaDbGtids(List.of());

    public MariaDbGtids {
        gtids = List.copyOf(gtids);
    }

    /** One MariaDB GTID. */
    public record Gtid(long domain, long serverId, long seq) {
        @Override
        public String toString() {
            return domain + "-" + serverId + "-" + seq;
        }
    }

    public static MariaDbGtids parse(String text) {
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        List<Gtid> out = new ArrayList<>();
        for (String part : text.split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            String[] f = p.split("-");
            if (f.length != 3) {
                throw new IllegalArgumentException("not a MariaDB GTID list: '" + text + "'");
            }
            try {
                out.add(new Gtid(Long.parseLong(f[0]), Long.parseLong(f[1]), Long.parseLong(f[2])));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a MariaDB GTID list: '" + text + "'", e);
            }
        }
        out.sort(Comparator.comparingLong(Gtid::domain).thenComparingLong(Gtid::serverId));
        return new MariaDbGtids(out);
    }

    public boolean isEmpty() {
        return gtids.isEmpty();
    }

    /** The highest sequence number per domain (a position: how far each replication stream has gone). */
    public Map<Long, Long> seqByDomain() {
        Map<Long, Long> m = new TreeMap<>();
        for (Gtid g : gtids) {
            m.merge(g.domain(), g.seq(), Math::max);
        }
        return m;
    }

    /** The last GTID of a server id in a domain ({@code gtid_binlog_state} keeps one per pair). */
    public Optional<Gtid> last(long domain, long serverId) {
        return gtids.stream().filter(g -> g.domain() == domain && g.serverId() == serverId)
                .max(Comparator.comparingLong(Gtid::seq));
    }

    /** The GTID with the highest sequence number in each domain, as a position string. */
    public MariaDbGtids position() {
        Map<Long, Gtid> m = new TreeMap<>();
        for (Gtid g : gtids) {
            m.merge(g.domain(), g, (a, b) -> a.seq() >= b.seq() ? a : b);
        }
        return new MariaDbGtids(new ArrayList<>(m.values()));
    }

    @Override
    public String toString() {
        return String.join(",", gtids.stream().map(Gtid::toString).toList());
    }
}
