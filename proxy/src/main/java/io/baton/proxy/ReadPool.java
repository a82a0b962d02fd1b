package io.baton.proxy;

import io.baton.proxy.routing.Endpoint;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The replicas the read port routes to, as the rest of Baton last measured them ({@link #update}): each one's
 * health and its lag in milliseconds. A session on the read port is served by one replica at a time, its home: the
 * eligible one with the fewest read sessions when it came, kept while it stays eligible (its reads never go back in
 * time, and a pooled session finds its own idle connection there); eligible means healthy, not the routed source,
 * and lagging no more than reads.maxLag. The proxy knows nothing of replication: admin measures, this only chooses.
 */
public final class ReadPool {

    /**
     * One replica as measured.
     *
     * @param lagMillis how far behind the source it is (docs/reads.md says how it is measured and its error bound);
     *                  -1 when it could not be measured
     * @param healthy   reachable and replicating from the routed source
     * @param note      why it is not healthy, for errors and SHOW SERVERS (empty when healthy)
     * @param executed  the GTIDs it had executed when measured (MySQL set, MariaDB position; null in position mode)
     */
    public record Replica(Endpoint endpoint, long lagMillis, boolean healthy, String note, String executed) {
    }

    private final ProxyServer server;
    private volatile List<Replica> replicas = List.of();
    /** Each replica's executed GTIDs, parsed from the latest measurement. */
    private volatile Map<Endpoint, GtidMark> sampled = Map.of();
    /** What causal waits found each replica had reached since (a wait's mark), merged. */
    private final Map<Endpoint, GtidMark> confirmed = new java.util.concurrent.ConcurrentHashMap<>();
    /** Read sessions per home replica: what {@link #pick} balances (a count, not a scan of the sessions). */
    private final Map<Endpoint, java.util.concurrent.atomic.AtomicInteger> homes =
            new java.util.concurrent.ConcurrentHashMap<>();

    ReadPool(ProxyServer server) {
        this.server = server;
    }

    /** The latest measurement, replacing the previous one (any thread). */
    public void update(List<Replica> measured) {
        update(measured, null);
    }

    /**
     * The latest measurement, and {@code sourceExecuted}: what the routed source had executed (null: not measured).
     * Together they cap the write marks of before a source change (see {@link WriteMarks}).
     */
    public void update(List<Replica> measured, String sourceExecuted) {
        Map<Endpoint, GtidMark> parsed = new HashMap<>();
        GtidMark everywhere = GtidMark.ofExecuted(sourceExecuted);
        for (Replica r : measured) {
            GtidMark m = GtidMark.ofExecuted(r.executed());
            parsed.put(r.endpoint(), m);
            if (r.healthy()) {
                everywhere = everywhere.merge(m);
            }
        }
        this.replicas = List.copyOf(measured);
        this.sampled = Map.copyOf(parsed);
        confirmed.keySet().retainAll(parsed.keySet());
        if (sourceExecuted != null) {
            server.writeMarks().measured(everywhere);
        }
    }

    /** Whether {@code e} is known to have executed every write of {@code wanted}, without asking it. */
    boolean covers(Endpoint e, GtidMark wanted) {
        GtidMark s = sampled.get(e);
        if (s != null && s.covers(wanted)) {
            return true;
        }
        GtidMark c = confirmed.get(e);
        return c != null && c.covers(wanted);
    }

    /** A causal wait found that {@code e} has executed {@code reached}. */
    void confirmed(Endpoint e, GtidMark reached) {
        confirmed.merge(e, reached, GtidMark::merge);
    }

    public List<Replica> replicas() {
        return replicas;
    }

    /** Whether {@code e} may serve a read session now. */
    public boolean serves(Endpoint e) {
        Endpoint source = server.source();
        long maxLag = server.settings().reads().maxLag().toMillis();
        for (Replica r : replicas) {
            if (r.endpoint().equals(e)) {
                return eligible(r, source, maxLag);
            }
        }
        return false;
    }

    private static boolean eligible(Replica r, Endpoint source, long maxLag) {
        return r.healthy() && r.lagMillis() >= 0 && r.lagMillis() <= maxLag && !r.endpoint().equals(source);
    }

    /**
     * Where read session {@code s} goes now: its home while that may serve, else the eligible replica with the fewest
     * read sessions, which becomes its home; null when none is eligible. On the session's loop.
     */
    Endpoint route(ClientSession s) {
        Endpoint home = s.readHome;
        if (home != null && serves(home)) {
            return home;
        }
        Endpoint next = pick();
        home(s, next);
        return next;
    }

    /** Read session {@code s} now has its home at {@code e} (null: none; the session ended). On the session's loop. */
    void home(ClientSession s, Endpoint e) {
        Endpoint was = s.readHome;
        if (java.util.Objects.equals(was, e)) {
            return;
        }
        if (was != null) {
            homes.get(was).decrementAndGet();
        }
        if (e != null) {
            homes.computeIfAbsent(e, k -> new java.util.concurrent.atomic.AtomicInteger()).incrementAndGet();
        }
        s.readHome = e;
    }

    /** The eligible replica with the fewest read sessions at home there, or null when none is eligible. */
    Endpoint pick() {
        Endpoint source = server.source();
        long maxLag = server.settings().reads().maxLag().toMillis();
        List<Replica> ok = new ArrayList<>();
        for (Replica r : replicas) {
            if (eligible(r, source, maxLag)) {
                ok.add(r);
            }
        }
        if (ok.isEmpty()) {
            return null;
        }
        if (ok.size() == 1) {
            return ok.get(0).endpoint();
        }
        Endpoint best = null;
        int least = Integer.MAX_VALUE;
        for (Replica r : ok) {
            java.util.concurrent.atomic.AtomicInteger at = homes.get(r.endpoint());
            int n = at == null ? 0 : at.get();
            if (n < least) {
                least = n;
                best = r.endpoint();
            }
        }
        return best;
    }

    /**
     * Read sessions per server they are on now: their connection's, or between statements (pooled) their home's. A
     * scan, for SHOW SERVERS and tests.
     */
    public Map<Endpoint, Integer> sessionsPerServer() {
        Map<Endpoint, Integer> load = new HashMap<>();
        for (ClientSession s : server.sessions().all()) {
            if (s.readOnly()) {
                Endpoint e = s.readServer();
                if (e != null) {
                    load.merge(e, 1, Integer::sum);
                }
            }
        }
        return load;
    }

    /** Why no replica may serve now, for the ERR a client gets with reads.fallback error. */
    String noneEligible() {
        List<Replica> rs = replicas;
        if (rs.isEmpty()) {
            return "no replica is known yet";
        }
        long maxLag = server.settings().reads().maxLag().toMillis();
        Endpoint source = server.source();
        List<String> why = new ArrayList<>();
        for (Replica r : rs) {
            if (r.endpoint().equals(source)) {
                why.add(r.endpoint().name() + " is the source");
            } else if (!r.healthy()) {
                why.add(r.endpoint().name() + " " + (r.note().isEmpty() ? "is not healthy" : r.note()));
            } else if (r.lagMillis() < 0) {
                why.add(r.endpoint().name() + " lag unknown");
            } else {
                why.add(r.endpoint().name() + " lags " + r.lagMillis() + " ms");
            }
        }
        return "no replica within reads.maxLag (" + maxLag + " ms): " + String.join(", ", why);
    }
}
