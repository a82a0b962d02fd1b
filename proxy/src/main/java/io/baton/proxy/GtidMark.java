package io.baton.proxy;

import java.util.Collections;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * How far writes have gone, as the highest GTID sequence number per stream: per source server UUID on MySQL
 * ({@code uuid:n}), per replication domain on MariaDB ({@code domain-server-seq}). A server covers a mark when it
 * has executed every transaction of each stream up to that number (docs/reads.md says why "up to" and not "this
 * one": GTIDs of one source are numbered in commit order without gaps). Immutable.
 */
final class GtidMark {
    static final GtidMark EMPTY = new GtidMark(Map.of(), false);

    /** Stream (MySQL: lower-case UUID; MariaDB: domain id) to the highest sequence number. */
    private final Map<String, Long> seq;
    private final boolean mariaDb;

    private GtidMark(Map<String, Long> seq, boolean mariaDb) {
        this.seq = seq;
        this.mariaDb = mariaDb;
    }

    boolean isEmpty() {
        return seq.isEmpty();
    }

    Map<String, Long> streams() {
        return Collections.unmodifiableMap(seq);
    }

    boolean mariaDb() {
        return mariaDb;
    }

    /**
     * The GTIDs a session tracker reported for a commit: MySQL {@code uuid:n} (or {@code uuid:n-m}, several
     * separated by commas), MariaDB {@code domain-server-seq}. Text it cannot read gives an empty mark.
     */
    static GtidMark ofCommit(String text) {
        return parse(text, false);
    }

    /**
     * A server's executed GTIDs as it reports them: MySQL {@code gtid_executed} (only a stream's interval that
     * starts at 1 counts: it covers up to its end), MariaDB {@code gtid_current_pos}.
     */
    static GtidMark ofExecuted(String text) {
        return parse(text, true);
    }

    private static GtidMark parse(String text, boolean executed) {
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        Map<String, Long> m = new TreeMap<>();
        boolean maria = false;
        try {
            for (String part : text.replace("\n", "").split(",")) {
                String p = part.strip();
                if (p.isEmpty()) {
                    continue;
                }
                int colon = p.indexOf(':');
                if (colon < 0) {
                    // MariaDB domain-server-seq
                    String[] f = p.split("-");
                    if (f.length != 3) {
                        return EMPTY;
                    }
                    maria = true;
                    m.merge(Long.toString(Long.parseLong(f[0])), Long.parseLong(f[2]), Math::max);
                    continue;
                }
                String uuid = p.substring(0, colon).toLowerCase(Locale.ROOT);
                if (uuid.length() != 36) {
                    return EMPTY; // not a server UUID (8-4-4-4-12 hex digits)
                }
                long best = 0;
                for (String interval : p.substring(colon + 1).split(":")) {
                    if (interval.isEmpty()) {
                        continue;
                    }
                    int dash = interval.indexOf('-');
                    long lo = Long.parseLong(dash < 0 ? interval : interval.substring(0, dash));
                    long hi = dash < 0 ? lo : Long.parseLong(interval.substring(dash + 1));
                    if (executed && lo != 1) {
                        continue; // a later interval: what it covers without a gap is told by the first one
                    }
                    best = Math.max(best, hi);
                }
                if (best > 0) {
                    m.merge(uuid, best, Math::max);
                }
            }
        } catch (NumberFormatException e) {
            return EMPTY;
        }
        return m.isEmpty() ? EMPTY : new GtidMark(Collections.unmodifiableMap(m), maria);
    }

    /** This mark and {@code o} together: each stream's higher number. */
    GtidMark merge(GtidMark o) {
        if (o.isEmpty()) {
            return this;
        }
        if (isEmpty()) {
            return o;
        }
        Map<String, Long> m = new TreeMap<>(seq);
        o.seq.forEach((k, v) -> m.merge(k, v, Math::max));
        return new GtidMark(Collections.unmodifiableMap(m), mariaDb || o.mariaDb);
    }

    /**
     * This mark with each stream held to what {@code have} reaches: a stream {@code have} lacks is dropped. What no
     * server has any more (commits lost with a crashed source) is no longer waited for.
     */
    GtidMark cappedBy(GtidMark have) {
        Map<String, Long> m = new TreeMap<>();
        seq.forEach((k, v) -> {
            Long h = have.seq.get(k);
            if (h != null) {
                m.put(k, Math.min(v, h));
            }
        });
        return m.isEmpty() ? EMPTY : new GtidMark(Collections.unmodifiableMap(m), mariaDb);
    }

    /** Whether a server at this mark has every write of {@code wanted}. */
    boolean covers(GtidMark wanted) {
        for (Map.Entry<String, Long> e : wanted.seq.entrySet()) {
            Long have = seq.get(e.getKey());
            if (have == null || have < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The statement that waits until a server has this mark, at most {@code timeoutMillis}: MySQL
     * {@code WAIT_FOR_EXECUTED_GTID_SET('uuid:1-n,…', s)} (0 when reached), MariaDB
     * {@code MASTER_GTID_WAIT('domain-server-seq,…', s)} (0 when reached; -1 after the timeout). On MariaDB the
     * server id in the position is not compared, only each domain's sequence number.
     */
    String waitStatement(long timeoutMillis) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, Long> e : seq.entrySet()) {
            sb.append(sb.length() == 0 ? "" : ",");
            if (mariaDb) {
                sb.append(e.getKey()).append("-0-").append(e.getValue());
            } else {
                sb.append(e.getKey()).append(":1-").append(e.getValue());
            }
        }
        String seconds = String.format(Locale.ROOT, "%d.%03d", timeoutMillis / 1000, timeoutMillis % 1000);
        return (mariaDb ? "SELECT MASTER_GTID_WAIT('" : "SELECT WAIT_FOR_EXECUTED_GTID_SET('") + sb + "', " + seconds
                + ")";
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GtidMark g && g.seq.equals(seq);
    }

    @Override
    public int hashCode() {
        return seq.hashCode();
    }

    @Override
    public String toString() {
        return seq.toString();
    }
}
