package io.baton.admin.failover;

import com.fasterxml.jackson.annotation.JsonAutoDetect;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a failover, switchover or rejoin did: every step with its start, duration and result, the
 * positions seen, the reason for the choice, the replicas left out and why. Written while the
 * procedure runs (by its one thread); read through {@link ReportHistory} once finished.
 */
@JsonAutoDetect(fieldVisibility = JsonAutoDetect.Visibility.ANY, getterVisibility = JsonAutoDetect.Visibility.NONE,
        isGetterVisibility = JsonAutoDetect.Visibility.NONE)
@JsonIgnoreProperties(ignoreUnknown = true)
public final class FailoverReport {

    public enum Kind { FAILOVER, SWITCHOVER, REJOIN }

    public enum Outcome { RUNNING, SUCCEEDED, FAILED }

    /** One step as it ran. */
    @JsonIgnoreProperties(ignoreUnknown = true)
    public record StepRecord(String name, long startedAtMillis, long durationMillis, boolean ok, String result) {
        public Instant startedAt() {
            return Instant.ofEpochMilli(startedAtMillis);
        }
    }

    /** Told of each step as it starts and as it ends, on the procedure's thread (the admin console streams them). */
    public interface Listener {
        void stepStarted(FailoverReport report, String step);

        void stepFinished(FailoverReport report, StepRecord step);
    }

    @JsonIgnore
    private transient volatile Listener listener;
    private long id;
    private Kind kind;
    private String trigger;
    private String oldSource;
    private String newSource;
    private long startedAtMillis;
    private long finishedAtMillis;
    private Outcome outcome = Outcome.RUNNING;
    private String failure;
    private String stoppedAt;
    private String choiceReason;
    private String acknowledgedWrites;
    private String inFlight;
    /** How many per-session lines {@link #describe} shows. */
    private static final int DESCRIBED_SESSIONS = 50;
    /** One line per session of this node that had a statement in flight or a transaction open at the lost source. */
    private final List<String> sessions = new ArrayList<>();
    private final List<StepRecord> steps = new ArrayList<>();
    private final Map<String, String> positions = new LinkedHashMap<>();
    private final List<String> warnings = new ArrayList<>();
    private final List<String> leftOut = new ArrayList<>();
    /** Position mode: the old source's binary log coordinates the new source had executed when promoted. */
    private String sourceLogApplied;
    /** Failover: the replica chosen for promotion (set when chosen; {@code newSource} only once it is writable). */
    private String candidate;
    /**
     * Failover: the errant transactions found per replica (transactions the lost source did not write),
     * exactly; empty when none were found or they could not be checked (the step's result says which).
     */
    private final Map<String, String> errantTransactions = new LinkedHashMap<>();
    /**
     * Failover and switchover: the promoted server is routed and the gate open on it (the last steps ran,
     * or an attempt that stopped after the promotion finished them; see {@link #recovery}).
     */
    private boolean routed;
    /** An attempt that stopped after the promotion: what it did to finish routing, in one line. */
    private String recovery;
    /** What an attempt that stopped after the promotion left to a background retry (e.g. replicas to repoint). */
    private final List<String> retries = new ArrayList<>();

    FailoverReport() {
        // for JSON
    }

    FailoverReport(long id, Kind kind, String trigger, String oldSource) {
        this.id = id;
        this.kind = kind;
        this.trigger = trigger;
        this.oldSource = oldSource;
        this.startedAtMillis = System.currentTimeMillis();
    }

    void listener(Listener l) {
        this.listener = l;
    }

    void stepStarted(String name) {
        Listener l = listener;
        if (l != null) {
            try {
                l.stepStarted(this, name);
            } catch (RuntimeException e) {
                dropListener(e); // whoever watches must never stop the procedure
            }
        }
    }

    void addStep(StepRecord s) {
        synchronized (this) {
            steps.add(s);
        }
        Listener l = listener;
        if (l != null) {
            try {
                l.stepFinished(this, s);
            } catch (RuntimeException e) {
                dropListener(e);
            }
        }
    }

    private void dropListener(RuntimeException e) {
        listener = null;
        org.slf4j.LoggerFactory.getLogger(FailoverReport.class).debug("{} #{}: step listener failed, no longer told: {}",
                kind, id, e.toString());
    }

    synchronized void position(String server, String text) {
        positions.put(server, text);
    }

    synchronized void warn(String w) {
        if (!warnings.contains(w)) {
            warnings.add(w);
        }
    }

    synchronized void leaveOut(String server, String why) {
        leftOut.add(server + ": " + why);
    }

    synchronized void oldSource(String name) {
        this.oldSource = name;
    }

    synchronized void newSource(String name) {
        this.newSource = name;
    }

    synchronized void inFlight(String text) {
        this.inFlight = text;
    }

    synchronized void sessions(List<String> lines) {
        sessions.addAll(lines);
    }

    /** Per session (this node's, at most 1000): what its statement in flight or open transaction got. */
    public synchronized List<String> sessions() {
        return List.copyOf(sessions);
    }

    /** What the statements in flight at the lost source got (this node's sessions), or null when there were none. */
    public synchronized String inFlight() {
        return inFlight;
    }

    synchronized void acknowledgedWrites(String text) {
        this.acknowledgedWrites = text;
    }

    /** durability.mode replica: whether every acknowledged commit is on the new source, and how many were checked. */
    public synchronized String acknowledgedWrites() {
        return acknowledgedWrites;
    }

    synchronized void choiceReason(String reason) {
        this.choiceReason = reason;
    }

    synchronized void candidate(String name) {
        this.candidate = name;
    }

    synchronized void errantTransactions(String server, String transactions) {
        errantTransactions.put(server, transactions);
    }

    synchronized void sourceLogApplied(String coordinates) {
        this.sourceLogApplied = coordinates;
    }

    synchronized void routed() {
        this.routed = true;
    }

    synchronized void recovery(String what) {
        this.recovery = what;
    }

    synchronized void retry(String what) {
        retries.add(what);
    }

    synchronized void succeed() {
        outcome = Outcome.SUCCEEDED;
        finishedAtMillis = System.currentTimeMillis();
    }

    synchronized void fail(String step, String why) {
        outcome = Outcome.FAILED;
        stoppedAt = step;
        failure = why;
        finishedAtMillis = System.currentTimeMillis();
    }

    public long id() {
        return id;
    }

    public Kind kind() {
        return kind;
    }

    public String trigger() {
        return trigger;
    }

    public synchronized String oldSource() {
        return oldSource;
    }

    public synchronized String newSource() {
        return newSource;
    }

    public Instant startedAt() {
        return Instant.ofEpochMilli(startedAtMillis);
    }

    /** When it finished, or null while it runs. */
    public synchronized Instant finishedAt() {
        return finishedAtMillis == 0 ? null : Instant.ofEpochMilli(finishedAtMillis);
    }

    public synchronized Outcome outcome() {
        return outcome;
    }

    public synchronized boolean succeeded() {
        return outcome == Outcome.SUCCEEDED;
    }

    /** Why it failed, or null. */
    public synchronized String failure() {
        return failure;
    }

    /** The step it stopped at, or null. */
    public synchronized String stoppedAt() {
        return stoppedAt;
    }

    public synchronized String choiceReason() {
        return choiceReason;
    }

    public synchronized List<StepRecord> steps() {
        return List.copyOf(steps);
    }

    public synchronized Map<String, String> positions() {
        return Map.copyOf(positions);
    }

    public synchronized List<String> warnings() {
        return List.copyOf(warnings);
    }

    public synchronized List<String> leftOut() {
        return List.copyOf(leftOut);
    }

    public synchronized String sourceLogApplied() {
        return sourceLogApplied;
    }

    /** The replica chosen for promotion, or null (not a failover, or it stopped before choosing). */
    public synchronized String candidate() {
        return candidate;
    }

    /** Errant transactions found per replica during a failover (server name to the exact transactions). */
    public synchronized Map<String, String> errantTransactions() {
        return java.util.Collections.unmodifiableMap(new LinkedHashMap<>(errantTransactions));
    }

    /** True once the new source is routed and the gate open on it (also after a stop past the promotion). */
    public synchronized boolean isRouted() {
        return routed;
    }

    /** How an attempt that stopped after the promotion finished routing; null if it did not stop there. */
    public synchronized String recovery() {
        return recovery;
    }

    /** What was left to a background retry (empty: nothing). */
    public synchronized List<String> retries() {
        return List.copyOf(retries);
    }

    /** Total duration so far, or of the whole procedure once finished. */
    public synchronized Duration duration() {
        return Duration.ofMillis((finishedAtMillis == 0 ? System.currentTimeMillis() : finishedAtMillis) - startedAtMillis);
    }

    /** The duration of a named step (the first whose name starts with the prefix), or -1. */
    public synchronized long stepMillis(String namePrefix) {
        return steps.stream().filter(s -> s.name().startsWith(namePrefix)).mapToLong(StepRecord::durationMillis)
                .findFirst().orElse(-1);
    }

    /** One line: what, outcome, from where to where, how long. */
    public synchronized String headline() {
        String what = kind.name().toLowerCase(java.util.Locale.ROOT) + " #" + id;
        String where = kind == Kind.REJOIN ? oldSource + " -> replica of " + newSource
                : (oldSource == null ? "?" : oldSource) + " -> " + (newSource != null ? newSource
                : candidate != null ? "? (candidate " + candidate + " not promoted)" : "?");
        String out = switch (outcome) {
            case SUCCEEDED -> "succeeded";
            case FAILED -> "FAILED at '" + stoppedAt + "': " + failure;
            case RUNNING -> "running";
        };
        return what + " (" + trigger + ") " + where + " " + out + " in " + duration().toMillis() + " ms";
    }

    /** The full report as text: the headline, each step, positions, choice, warnings, replicas left out. */
    public synchronized String describe() {
        StringBuilder sb = new StringBuilder(headline()).append('\n');
        for (StepRecord s : steps) {
            sb.append(String.format("  %-4s %6d ms  %s: %s%n", s.ok() ? "ok" : "FAIL", s.durationMillis(), s.name(),
                    s.result()));
        }
        if (choiceReason != null) {
            sb.append("  choice: ").append(choiceReason).append('\n');
        }
        if (acknowledgedWrites != null) {
            sb.append("  acknowledged writes: ").append(acknowledgedWrites).append('\n');
        }
        if (inFlight != null) {
            sb.append("  statements in flight: ").append(inFlight).append('\n');
        }
        int shown = Math.min(sessions.size(), DESCRIBED_SESSIONS);
        for (int i = 0; i < shown; i++) {
            sb.append("  ").append(sessions.get(i)).append('\n');
        }
        if (sessions.size() > shown) {
            sb.append("  … and ").append(sessions.size() - shown).append(" more session(s) (all in the JSON report)\n");
        }
        positions.forEach((k, v) -> sb.append("  position ").append(k).append(": ").append(v).append('\n'));
        errantTransactions.forEach((k, v) -> sb.append("  errant transactions on ").append(k).append(": ").append(v)
                .append('\n'));
        leftOut.forEach(l -> sb.append("  left out ").append(l).append('\n'));
        if (recovery != null) {
            sb.append("  recovery: ").append(recovery).append('\n');
        }
        retries.forEach(r -> sb.append("  retry: ").append(r).append('\n'));
        warnings.forEach(w -> sb.append("  warning: ").append(w).append('\n'));
        return sb.toString();
    }

    @Override
    public String toString() {
        return headline();
    }
}
