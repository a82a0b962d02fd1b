package io.baton.perf.bench;

import java.util.LinkedHashMap;
import java.util.Map;
import org.HdrHistogram.Histogram;

/**
 * One measured round of one target: the events completed inside the measurement window, their
 * latencies (nanoseconds, HdrHistogram, 3 significant digits), the errors by kind, and the CPU the
 * proxy used meanwhile (NaN for direct), and how long the replicas took after the window to execute everything
 * the source had written (NaN when not waited for): a replica that fell behind in one target's round would otherwise
 * apply that backlog, on the same cores, in the next target's round.
 */
public record RoundResult(String target, int round, int threads, double seconds, long events, long errors,
                          Map<String, Long> errorKinds, Histogram latencyNanos, double proxyCpuSeconds,
                          double catchUpSeconds) {

    /** This round with the replicas' catch-up time after its window. */
    public RoundResult withCatchUp(double catchUp) {
        return new RoundResult(target, round, threads, seconds, events, errors, errorKinds, latencyNanos,
                proxyCpuSeconds, catchUp);
    }

    /** CPU the proxy used per event, in microseconds (NaN for direct). */
    public double proxyCpuMicrosPerEvent() {
        return events == 0 ? Double.NaN : proxyCpuSeconds * 1e6 / events;
    }

    public double eventsPerSecond() {
        return events / seconds;
    }

    /**
     * Events per second counted until the replicas had executed them: the window plus the catch-up after it (the
     * plain rate when the catch-up was not waited for). A rate that leaves the replicas behind is not one the
     * topology sustains.
     */
    public double replicatedEventsPerSecond() {
        return events / (seconds + (Double.isNaN(catchUpSeconds) ? 0 : catchUpSeconds));
    }

    /** Latency at a percentile, in microseconds. */
    public double micros(double percentile) {
        return latencyNanos.getTotalCount() == 0 ? Double.NaN : latencyNanos.getValueAtPercentile(percentile) / 1000.0;
    }

    public double meanMicros() {
        return latencyNanos.getTotalCount() == 0 ? Double.NaN : latencyNanos.getMean() / 1000.0;
    }

    /** The JSON form (latencies in microseconds). */
    public Map<String, Object> toJson(int statementsPerEvent) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("target", target);
        m.put("round", round);
        m.put("threads", threads);
        m.put("seconds", seconds);
        m.put("events", events);
        m.put("eventsPerSecond", round2(eventsPerSecond()));
        m.put("queriesPerSecond", round2(eventsPerSecond() * statementsPerEvent));
        m.put("errors", errors);
        m.put("errorKinds", errorKinds);
        Map<String, Object> lat = new LinkedHashMap<>();
        lat.put("mean", round2(meanMicros()));
        for (double p : new double[] {50, 90, 95, 99, 99.9}) {
            lat.put("p" + (p == Math.rint(p) ? Integer.toString((int) p) : Double.toString(p)), round2(micros(p)));
        }
        lat.put("max", round2(latencyNanos.getMaxValue() / 1000.0));
        m.put("latencyMicros", lat);
        m.put("proxyCpuSeconds", round2(proxyCpuSeconds));
        m.put("proxyCpuMicrosPerEvent", round2(proxyCpuMicrosPerEvent()));
        m.put("replicaCatchUpSeconds", round2(catchUpSeconds));
        m.put("replicatedEventsPerSecond", round2(replicatedEventsPerSecond()));
        return m;
    }

    static double round2(double v) {
        return Double.isNaN(v) ? v : Math.round(v * 100) / 100.0;
    }
}
