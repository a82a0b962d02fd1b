package io.baton.perf.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;
import javax.imageio.ImageIO;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The outcome of a bench run: per target, the medians over rounds of throughput and latency, their
 * ratios to direct and to HAProxy, the per-round spread; printed as a table, written as JSON and as
 * a PNG chart.
 */
final class BenchReport {
    private final Workload workload;
    private final int threads;
    private final Map<String, Object> settings;
    private final Map<String, Object> machine;
    private final List<String> targets;
    private final List<RoundResult> rounds;
    private final List<String> notes;

    BenchReport(Workload workload, int threads, Map<String, Object> settings, Map<String, Object> machine,
                List<String> targets, List<RoundResult> rounds, List<String> notes) {
        this.workload = workload;
        this.threads = threads;
        this.settings = settings;
        this.machine = machine;
        this.targets = targets;
        this.rounds = rounds;
        this.notes = notes;
    }

    /** Median over the target's rounds of one figure. */
    double median(String target, ToDoubleFunction<RoundResult> f) {
        double[] v = rounds.stream().filter(r -> r.target().equals(target)).mapToDouble(f).sorted().toArray();
        if (v.length == 0) {
            return Double.NaN;
        }
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }

    /** "t1 1.0 unit; t2 2.0 unit": each target's median of one figure, the targets without it left out ("": none). */
    private String mediansByTarget(ToDoubleFunction<RoundResult> f, String unit) {
        List<String> out = new java.util.ArrayList<>();
        for (String t : targets) {
            double v = median(t, f);
            if (!Double.isNaN(v)) {
                out.add(String.format(Locale.ROOT, "%s %.1f %s", t, v, unit));
            }
        }
        return String.join("; ", out);
    }

    /** Per round, {@code a}'s throughput over {@code b}'s. */
    List<Double> roundRatios(String a, String b) {
        return roundRatios(a, b, RoundResult::eventsPerSecond);
    }

    /** Per round, {@code a}'s {@code f} over {@code b}'s. */
    List<Double> roundRatios(String a, String b, ToDoubleFunction<RoundResult> f) {
        List<Double> out = new ArrayList<>();
        for (RoundResult ra : rounds) {
            if (!ra.target().equals(a)) {
                continue;
            }
            rounds.stream().filter(rb -> rb.target().equals(b) && rb.round() == ra.round()).findFirst()
                    .ifPresent(rb -> out.add(f.applyAsDouble(ra) / f.applyAsDouble(rb)));
        }
        return out;
    }

    private boolean has(String target) {
        return targets.contains(target);
    }

    void print(PrintStream out) {
        out.println();
        out.printf(Locale.ROOT, "%s, %d thread(s), %s rounds of %s s after %s s warm-up, interleaved (%s)%n",
                workload.id(), threads, settings.get("rounds"), settings.get("durationSeconds"),
                settings.get("warmupSeconds"), String.join(", ", targets));
        out.println(Machine.oneLine(machine));
        out.println("Medians over rounds; an event is " + (workload.statementsPerEvent() == 1 ? "one statement"
                : "one transaction of " + workload.statementsPerEvent() + " statements") + ".");
        out.printf(Locale.ROOT, "%-8s %10s %10s %9s %9s %9s %8s %9s  %s%n", "target", "events/s", "queries/s",
                "p50 ms", "p99 ms", "mean ms", "x direct", "x haproxy", "events/s per round");
        for (String t : targets) {
            double eps = median(t, RoundResult::eventsPerSecond);
            StringBuilder perRound = new StringBuilder();
            rounds.stream().filter(r -> r.target().equals(t))
                    .forEach(r -> perRound.append(String.format(Locale.ROOT, "%.0f ", r.eventsPerSecond())));
            out.printf(Locale.ROOT, "%-8s %10.0f %10.0f %9.3f %9.3f %9.3f %8s %9s  %s%n", t, eps,
                    eps * workload.statementsPerEvent(), median(t, r -> r.micros(50)) / 1000,
                    median(t, r -> r.micros(99)) / 1000, median(t, RoundResult::meanMicros) / 1000,
                    ratio(eps, Target.DIRECT), ratio(eps, Target.HAPROXY), perRound.toString().trim());
        }
        String cpu = mediansByTarget(RoundResult::proxyCpuMicrosPerEvent, "µs");
        if (!cpu.isEmpty()) {
            out.println("proxy CPU per event (median): " + cpu
                    + (settings.get("baton").toString().startsWith("in-process") ? " (baton: its I/O threads only)" : ""));
        }
        String catchUp = mediansByTarget(RoundResult::catchUpSeconds, "s");
        if (!catchUp.isEmpty()) {
            out.println("replicas' catch-up after each window, before the next target's round (median): " + catchUp);
        }
        if (has(Target.BATON) && has(Target.BATON_REPLICA)) {
            out.println("baton-replica / baton throughput per round: " + fmt(roundRatios(Target.BATON_REPLICA, Target.BATON)));
            if (!Double.isNaN(median(Target.BATON, RoundResult::catchUpSeconds))) {
                out.println("the same, each window counted until the replicas had executed it (events / (window +"
                        + " catch-up)): " + fmt(roundRatios(Target.BATON_REPLICA, Target.BATON,
                        RoundResult::replicatedEventsPerSecond)));
            }
            out.println(String.format(Locale.ROOT, "durability.mode replica adds (median of rounds): p50 %+.0f µs, p99 %+.0f µs",
                    median(Target.BATON_REPLICA, r -> r.micros(50)) - median(Target.BATON, r -> r.micros(50)),
                    median(Target.BATON_REPLICA, r -> r.micros(99)) - median(Target.BATON, r -> r.micros(99))));
        }
        if (has(Target.BATON) && has(Target.BATON_NO_REPLAY)) {
            double on = median(Target.BATON, RoundResult::proxyCpuMicrosPerEvent);
            double off = median(Target.BATON_NO_REPLAY, RoundResult::proxyCpuMicrosPerEvent);
            out.println("baton / baton-noreplay throughput per round: " + fmt(roundRatios(Target.BATON, Target.BATON_NO_REPLAY)));
            if (!Double.isNaN(on) && !Double.isNaN(off) && off > 0) {
                out.println(String.format(Locale.ROOT, "transaction replay's proxy CPU (median of rounds): %.1f µs per event"
                        + " with it, %.1f µs without: %+.1f %%", on, off, 100 * (on - off) / off));
            }
        }
        if (has(Target.BATON) && has(Target.BATON_NO_POOL)) {
            double on = median(Target.BATON, RoundResult::proxyCpuMicrosPerEvent);
            double off = median(Target.BATON_NO_POOL, RoundResult::proxyCpuMicrosPerEvent);
            out.println("baton / baton-nopool throughput per round: " + fmt(roundRatios(Target.BATON, Target.BATON_NO_POOL)));
            if (!Double.isNaN(on) && !Double.isNaN(off) && off > 0) {
                out.println(String.format(Locale.ROOT, "the backend pool's proxy CPU (median of rounds): %.1f µs per event"
                        + " with it, %.1f µs without: %.2fx", on, off, on / off));
            }
        }
        if (has(Target.BATON_READS) && has(Target.BATON_READS_NO_POOL)) {
            double on = median(Target.BATON_READS, RoundResult::proxyCpuMicrosPerEvent);
            double off = median(Target.BATON_READS_NO_POOL, RoundResult::proxyCpuMicrosPerEvent);
            out.println("baton-reads / baton-reads-nopool throughput per round: "
                    + fmt(roundRatios(Target.BATON_READS, Target.BATON_READS_NO_POOL)));
            if (!Double.isNaN(on) && !Double.isNaN(off) && off > 0) {
                out.println(String.format(Locale.ROOT, "the read port's pool, proxy CPU (median of rounds): %.1f µs per"
                        + " event with it, %.1f µs without: %.2fx", on, off, on / off));
            }
        }
        if (has(Target.BATON) && has(Target.HAPROXY)) {
            out.println("baton / haproxy throughput per round: " + fmt(roundRatios(Target.BATON, Target.HAPROXY)));
        }
        if (has(Target.DIRECT)) {
            for (String t : targets) {
                if (!t.equals(Target.DIRECT)) {
                    out.println(t + " / direct throughput per round: " + fmt(roundRatios(t, Target.DIRECT)));
                }
            }
            StringBuilder added = new StringBuilder("added latency vs direct (median of means");
            added.append(workload.statementsPerEvent() > 1 ? ", per event / per statement):" : ", per statement):");
            for (String t : targets) {
                if (!t.equals(Target.DIRECT)) {
                    double us = addedMeanMicros(t);
                    added.append(String.format(Locale.ROOT, " %s %+.0f µs", t, us));
                    if (workload.statementsPerEvent() > 1) {
                        added.append(String.format(Locale.ROOT, " / %+.1f µs", us / workload.statementsPerEvent()));
                    }
                    added.append(';');
                }
            }
            out.println(added.substring(0, added.length() - 1));
        }
        long errors = rounds.stream().mapToLong(RoundResult::errors).sum();
        if (errors > 0) {
            out.println("errors: " + errors);
            for (RoundResult r : rounds) {
                if (r.errors() > 0) {
                    out.println("  " + r.target() + " round " + r.round() + ": " + r.errorKinds());
                }
            }
        }
        for (String n : notes) {
            out.println("note: " + n);
        }
    }

    double addedMeanMicros(String target) {
        return median(target, RoundResult::meanMicros) - median(Target.DIRECT, RoundResult::meanMicros);
    }

    private String ratio(double eps, String to) {
        if (!has(to)) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.2f", eps / median(to, RoundResult::eventsPerSecond));
    }

    private static String fmt(List<Double> v) {
        StringBuilder sb = new StringBuilder();
        for (double d : v) {
            sb.append(String.format(Locale.ROOT, "%.2f ", d));
        }
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        if (s.length > 0) {
            sb.append(String.format(Locale.ROOT, "(min %.2f, max %.2f)", s[0], s[s.length - 1]));
        }
        return sb.toString().trim();
    }

    Map<String, Object> toJson() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("workload", workload.id());
        m.put("threads", threads);
        m.put("statementsPerEvent", workload.statementsPerEvent());
        m.put("settings", settings);
        m.put("machine", machine);
        Map<String, Object> summary = new LinkedHashMap<>();
        for (String t : targets) {
            Map<String, Object> s = new LinkedHashMap<>();
            double eps = median(t, RoundResult::eventsPerSecond);
            s.put("medianEventsPerSecond", RoundResult.round2(eps));
            s.put("medianQueriesPerSecond", RoundResult.round2(eps * workload.statementsPerEvent()));
            s.put("medianP50Micros", RoundResult.round2(median(t, r -> r.micros(50))));
            s.put("medianP99Micros", RoundResult.round2(median(t, r -> r.micros(99))));
            s.put("medianMeanMicros", RoundResult.round2(median(t, RoundResult::meanMicros)));
            s.put("medianProxyCpuMicrosPerEvent", RoundResult.round2(median(t, RoundResult::proxyCpuMicrosPerEvent)));
            s.put("medianReplicaCatchUpSeconds", RoundResult.round2(median(t, RoundResult::catchUpSeconds)));
            if (has(Target.DIRECT)) {
                s.put("ratioToDirect", RoundResult.round2(eps / median(Target.DIRECT, RoundResult::eventsPerSecond)));
                s.put("ratioToDirectPerRound", roundRatios(t, Target.DIRECT));
                s.put("addedMeanMicrosVsDirect", RoundResult.round2(addedMeanMicros(t)));
            }
            if (has(Target.HAPROXY)) {
                s.put("ratioToHaproxy", RoundResult.round2(eps / median(Target.HAPROXY, RoundResult::eventsPerSecond)));
                s.put("ratioToHaproxyPerRound", roundRatios(t, Target.HAPROXY));
            }
            summary.put(t, s);
        }
        m.put("summary", summary);
        m.put("rounds", rounds.stream().map(r -> r.toJson(workload.statementsPerEvent())).toList());
        m.put("notes", notes);
        return m;
    }

    /** Writes {@code STEM.json} and {@code STEM.png} to {@code dir}; returns both paths. */
    List<Path> write(Path dir, String stem) throws IOException {
        Files.createDirectories(dir);
        Path json = dir.resolve(stem + ".json");
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(json.toFile(), toJson());
        Path png = dir.resolve(stem + ".png");
        ImageIO.write(chart(), "png", png.toFile());
        return List.of(json, png);
    }

    /** Left: throughput per round and target. Right: median p50 and p99 per target. */
    private BufferedImage chart() {
        System.setProperty("java.awt.headless", "true");
        String title = workload.id() + ", " + threads + " thread(s)";
        CategoryChart tput = new CategoryChartBuilder().width(640).height(440)
                .title("Throughput, " + title).xAxisTitle("target").yAxisTitle("events/s").build();
        int maxRound = rounds.stream().mapToInt(RoundResult::round).max().orElse(0);
        for (int r = 1; r <= maxRound; r++) {
            int round = r;
            List<Double> y = new ArrayList<>();
            for (String t : targets) {
                y.add(rounds.stream().filter(x -> x.target().equals(t) && x.round() == round).findFirst()
                        .map(RoundResult::eventsPerSecond).orElse(0.0));
            }
            tput.addSeries("round " + r, targets, y);
        }
        tput.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        tput.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
        CategoryChart lat = new CategoryChartBuilder().width(640).height(440)
                .title("Latency (median of rounds), " + title).xAxisTitle("target").yAxisTitle("ms").build();
        lat.addSeries("p50", targets, targets.stream().map(t -> median(t, r -> r.micros(50)) / 1000).toList());
        lat.addSeries("p99", targets, targets.stream().map(t -> median(t, r -> r.micros(99)) / 1000).toList());
        lat.getStyler().setLegendPosition(org.knowm.xchart.style.Styler.LegendPosition.OutsideS);
        lat.getStyler().setLegendLayout(org.knowm.xchart.style.Styler.LegendLayout.Horizontal);
        BufferedImage a = BitmapEncoder.getBufferedImage(tput);
        BufferedImage b = BitmapEncoder.getBufferedImage(lat);
        BufferedImage img = new BufferedImage(a.getWidth() + b.getWidth(), Math.max(a.getHeight(), b.getHeight()),
                BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.drawImage(a, 0, 0, null);
        g.drawImage(b, a.getWidth(), 0, null);
        g.dispose();
        return img;
    }

    static String stem(Workload w, int threads, String timestamp) {
        return w.id() + "-" + threads + "t-" + timestamp;
    }
}
