package io.baton.admin.topology;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * A MySQL GTID set such as {@code 3e11fa47-...:1-5:7,7c1a...:1-3}: for each source UUID (with its
 * tag on 8.4+), the transaction numbers as closed intervals. Immutable. Parses what
 * {@code @@GLOBAL.gtid_executed} returns, newlines included (G10), and prints the canonical form
 * the server prints, so a set can be fed back to {@code WAIT_FOR_EXECUTED_GTID_SET}.
 */
public final class GtidSet {
    public static final GtidSet EMPTY = new GtidSet(new TreeMap<>());

    /** UUID (lower case, with ":tag" when tagged) to sorted, disjoint, non-adjacent intervals. */
    private final TreeMap<String, List<long[]>> sets;

    private GtidSet(TreeMap<String, List<long[]>> sets) {
        this.sets = sets;
    }

    public static GtidSet parse(String text) {
        if (text == null || text.isBlank()) {
            return EMPTY;
        }
        TreeMap<String, List<long[]>> m = new TreeMap<>();
        for (String part : text.replace("\n", "").replace("\r", "").split(",")) {
            String p = part.trim();
            if (p.isEmpty()) {
                continue;
            }
            String[] fields = p.split(":");
            String key = fields[0].trim().toLowerCase(Locale.ROOT);
            if (key.length() != 36) {
                throw new IllegalArgumentException("not a GTID set: '" + text + "' (bad UUID '" + fields[0] + "')");
            }
            for (int i = 1; i < fields.length; i++) {
                String f = fields[i].trim();
                if (!f.isEmpty() && !Character.isDigit(f.charAt(0))) {
                    key = fields[0].trim().toLowerCase(Locale.ROOT) + ":" + f; // 8.4 tag: uuid:tag:1-5
                    continue;
                }
                String[] range = f.split("-");
                try {
                    long lo = Long.parseLong(range[0]);
                    long hi = range.length > 1 ? Long.parseLong(range[1]) : lo;
                    if (lo < 1 || hi < lo) {
                        throw new IllegalArgumentException("not a GTID set: '" + text + "' (bad interval '" + f + "')");
                    }
                    m.computeIfAbsent(key, k -> new ArrayList<>()).add(new long[] {lo, hi});
                } catch (NumberFormatException e) {
                    throw new IllegalArgumentException("not a GTID set: '" + text + "' (bad interval '" + f + "')", e);
                }
            }
        }
        m.replaceAll((k, v) -> normalize(v));
        m.values().removeIf(List::isEmpty);
        return new GtidSet(m);
    }

    private static List<long[]> normalize(List<long[]> in) {
        List<long[]> sorted = new ArrayList<>(in);
        sorted.sort((a, b) -> Long.compare(a[0], b[0]));
        List<long[]> out = new ArrayList<>();
        for (long[] iv : sorted) {
            long[] last = out.isEmpty() ? null : out.get(out.size() - 1);
            if (last != null && iv[0] <= last[1] + 1) {
                last[1] = Math.max(last[1], iv[1]);
            } else {
                out.add(new long[] {iv[0], iv[1]});
            }
        }
        return out;
    }

    public boolean isEmpty() {
        return sets.isEmpty();
    }

    /** Number of transactions in the set. */
    public long count() {
        long n = 0;
        for (List<long[]> ivs : sets.values()) {
            for (long[] iv : ivs) {
                n += iv[1] - iv[0] + 1;
            }
        }
        return n;
    }

    /** This set's GTIDs one by one ({@code uuid[:tag]:n}); at most {@code max}, else IllegalArgumentException. */
    public List<String> each(int max) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<String, List<long[]>> e : sets.entrySet()) {
            for (long[] iv : e.getValue()) {
                for (long n = iv[0]; n <= iv[1]; n++) {
                    if (out.size() >= max) {
                        throw new IllegalArgumentException("more than " + max + " GTIDs");
                    }
                    out.add(e.getKey() + ":" + n);
                }
            }
        }
        return out;
    }

    /** Number of intervals in the set: what it costs to keep and to compare. */
    public int intervals() {
        int n = 0;
        for (List<long[]> ivs : sets.values()) {
            n += ivs.size();
        }
        return n;
    }

    /** The transactions that are in this set and in {@code other}. */
    public GtidSet intersect(GtidSet other) {
        return subtract(subtract(other));
    }

    /** The UUIDs (with tags) that have transactions in this set. */
    public List<String> uuids() {
        return List.copyOf(sets.keySet());
    }

    /**
     * The transactions of one server_uuid ({@code keep}) or of every other one ({@code !keep}); a
     * UUID's tagged transactions ({@code uuid:tag}, 8.4+) count as that UUID's.
     */
    public GtidSet ofUuid(String uuid, boolean keep) {
        String u = uuid.trim().toLowerCase(java.util.Locale.ROOT);
        TreeMap<String, List<long[]>> out = new TreeMap<>();
        for (Map.Entry<String, List<long[]>> e : sets.entrySet()) {
            boolean same = e.getKey().equals(u) || e.getKey().startsWith(u + ":");
            if (same == keep) {
                out.put(e.getKey(), e.getValue());
            }
        }
        return new GtidSet(out);
    }

    /** Whether every transaction of {@code other} is in this set. */
    public boolean containsAll(GtidSet other) {
        return other.subtract(this).isEmpty();
    }

    /** The transactions of this set that are not in {@code other} ({@code GTID_SUBTRACT(this, other)}). */
    public GtidSet subtract(GtidSet other) {
        TreeMap<String, List<long[]>> out = new TreeMap<>();
        for (Map.Entry<String, List<long[]>> e : sets.entrySet()) {
            List<long[]> remaining = new ArrayList<>();
            for (long[] iv : e.getValue()) {
                remaining.add(new long[] {iv[0], iv[1]});
            }
            for (long[] cut : other.sets.getOrDefault(e.getKey(), Collections.emptyList())) {
                List<long[]> next = new ArrayList<>();
                for (long[] iv : remaining) {
                    if (cut[1] < iv[0] || cut[0] > iv[1]) {
                        next.add(iv);
                        continue;
                    }
                    if (cut[0] > iv[0]) {
                        next.add(new long[] {iv[0], cut[0] - 1});
                    }
                    if (cut[1] < iv[1]) {
                        next.add(new long[] {cut[1] + 1, iv[1]});
                    }
                }
                remaining = next;
            }
            if (!remaining.isEmpty()) {
                out.put(e.getKey(), remaining);
            }
        }
        return new GtidSet(out);
    }

    /** Every transaction that is in this set or in {@code other}. */
    public GtidSet union(GtidSet other) {
        TreeMap<String, List<long[]>> out = new TreeMap<>();
        for (GtidSet s : List.of(this, other)) {
            for (Map.Entry<String, List<long[]>> e : s.sets.entrySet()) {
                out.computeIfAbsent(e.getKey(), k -> new ArrayList<>()).addAll(e.getValue());
            }
        }
        out.replaceAll((k, v) -> normalize(v));
        return new GtidSet(out);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof GtidSet g && toString().equals(g.toString());
    }

    @Override
    public int hashCode() {
        return toString().hashCode();
    }

    /** The canonical text, as MySQL prints it but on one line: {@code uuid:1-5:7,uuid2:1}. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, List<long[]>> e : sets.entrySet()) {
            if (sb.length() > 0) {
                sb.append(',');
            }
            sb.append(e.getKey());
            for (long[] iv : e.getValue()) {
                sb.append(':').append(iv[0]);
                if (iv[1] != iv[0]) {
                    sb.append('-').append(iv[1]);
                }
            }
        }
        return sb.toString();
    }
}
