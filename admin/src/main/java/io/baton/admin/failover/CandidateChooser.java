package io.baton.admin.failover;

import io.baton.admin.failover.Progress.Comparison;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;

/**
 * Chooses the replica to promote: the most advanced one (it has executed everything every other
 * replica has), then one without errant transactions, then the configured priority, then
 * configuration order; never a never-promote server. An operator's choice is honoured only if no
 * replica is ahead of it: promoting a replica that lacks transactions others have would lose them
 * (in GTID mode the failover first lets it catch up from the most advanced one, so this refusal is
 * what remains when that is impossible).
 *
 * <p>Errant transactions (written on a replica, not by the source) never make a replica less safe to
 * promote: the caller leaves them out of the progress compared here, so a replica is "most advanced"
 * by what it received from the source. Among equally advanced replicas one without errant
 * transactions wins, since a promoted replica sends its errant transactions to every replica that
 * follows it. When the only most advanced replica has errant transactions it is promoted all the same
 * (anything else would lose acknowledged transactions) and a warning names them.
 */
public final class CandidateChooser {
    private CandidateChooser() {
    }

    /**
     * A replica that took part in the failover.
     *
     * @param order position in the configuration (earlier wins the last tie)
     * @param progress what it executed of the source's history, its errant transactions left out
     * @param ineligible why it cannot be promoted (never-promote, no binary log, ...), or null
     * @param errant its errant transactions, exactly, or null when it has none (or they were not checked)
     */
    public record Candidate(String name, int priority, int order, Progress progress, String ineligible, String errant) {
        /** A replica whose errant transactions were not checked, or that has none. */
        public Candidate(String name, int priority, int order, Progress progress, String ineligible) {
            this(name, priority, order, progress, ineligible, null);
        }

        boolean eligible() {
            return ineligible == null;
        }

        boolean clean() {
            return errant == null;
        }
    }

    /** The choice and its reason; {@code chosen} is empty when nobody can be promoted. */
    public record Choice(Optional<Candidate> chosen, String reason, List<String> warnings) {
    }

    public static Choice choose(List<Candidate> replicas, String requested) {
        List<String> warnings = new ArrayList<>();
        if (replicas.isEmpty()) {
            return new Choice(Optional.empty(), "no reachable replica took part", warnings);
        }
        if (requested != null) {
            return chooseRequested(replicas, requested, warnings);
        }
        List<Candidate> eligible = replicas.stream().filter(Candidate::eligible).toList();
        if (eligible.isEmpty()) {
            return new Choice(Optional.empty(), "no replica may be promoted: " + String.join("; ",
                    replicas.stream().map(c -> c.name() + " " + c.ineligible()).toList()), warnings);
        }
        // The most advanced: has executed all that every other participant has (ties allowed).
        List<Candidate> complete = eligible.stream().filter(c -> replicas.stream()
                .allMatch(o -> o == c || isAheadOrSame(c.progress().compare(o.progress())))).toList();
        Comparator<Candidate> byPriority = Comparator.comparingInt(Candidate::priority).reversed()
                .thenComparingInt(Candidate::order);
        if (!complete.isEmpty()) {
            Candidate best = complete.stream().min(Comparator.comparing((Candidate c) -> !c.clean()).thenComparing(byPriority))
                    .orElseThrow();
            StringBuilder why = new StringBuilder(best.name() + " has executed everything any replica has ("
                    + best.progress() + ")");
            if (complete.size() > 1) {
                List<Candidate> errantPeers = complete.stream().filter(c -> c != best && !c.clean()).toList();
                why.append("; as advanced as ").append(String.join(", ", complete.stream().filter(c -> c != best)
                        .map(Candidate::name).toList())).append(", chosen by ");
                if (best.clean() && !errantPeers.isEmpty()) {
                    why.append("having no errant transactions (").append(String.join("; ", errantPeers.stream()
                            .map(c -> c.name() + " has " + c.errant()).toList())).append("), then ");
                }
                why.append("priority ").append(best.priority()).append(" then configuration order");
            }
            if (!best.clean()) {
                warnings.add(errantWarning(best, complete.size() > 1
                        ? "every replica as advanced has errant transactions too"
                        : "it is the only replica that has everything the others executed: promoting another would lose"
                        + " transactions the source acknowledged"));
            }
            return new Choice(Optional.of(best), why.toString(), warnings);
        }
        // Nobody eligible has everything: a never-promote replica is ahead, or the replicas drifted apart.
        Candidate best = eligible.stream().max(Comparator.comparingLong((Candidate c) -> c.progress().rank())
                .thenComparing(byPriority.reversed())).orElseThrow();
        for (Candidate o : replicas) {
            if (o == best) {
                continue;
            }
            String missing = best.progress().missingFrom(o.progress());
            if (!missing.isEmpty()) {
                warnings.add(o.name() + " has transactions " + best.name() + " lacks (" + missing + ")"
                        + (o.eligible() ? "; the replicas drifted apart" : "; it may not be promoted: " + o.ineligible()));
            }
        }
        if (!best.clean()) {
            warnings.add(errantWarning(best, "it is the most advanced replica that may be promoted"));
        }
        return new Choice(Optional.of(best), best.name() + " is the most advanced replica that may be promoted ("
                + best.progress() + "), but no promotable replica has everything: see the warnings", warnings);
    }

    private static Choice chooseRequested(List<Candidate> replicas, String requested, List<String> warnings) {
        Optional<Candidate> target = replicas.stream().filter(c -> c.name().equals(requested)).findFirst();
        if (target.isEmpty()) {
            return new Choice(Optional.empty(), requested + " did not take part (not a reachable replica of the source)",
                    warnings);
        }
        Candidate t = target.get();
        if (!t.eligible()) {
            return new Choice(Optional.empty(), requested + " may not be promoted: " + t.ineligible(), warnings);
        }
        List<String> ahead = new ArrayList<>();
        for (Candidate o : replicas) {
            if (o != t) {
                String missing = t.progress().missingFrom(o.progress());
                if (!missing.isEmpty()) {
                    ahead.add(o.name() + " (" + missing + ")");
                }
            }
        }
        if (!ahead.isEmpty()) {
            return new Choice(Optional.empty(), requested + " lacks transactions that " + String.join(", ", ahead)
                    + " executed; promoting it would lose them: choose the most advanced replica or let Baton choose",
                    warnings);
        }
        if (!t.clean()) {
            warnings.add(errantWarning(t, "it was requested"));
        }
        return new Choice(Optional.of(t), requested + " as requested; it has executed everything any replica has ("
                + t.progress() + ")", warnings);
    }

    /** The warning for a promoted replica with errant transactions: which, why it is promoted anyway, what follows. */
    private static String errantWarning(Candidate c, String why) {
        return c.name() + " is promoted with errant transactions (" + c.errant() + ") because " + why
                + "; every replica that follows " + c.name() + " receives them: check what they are (they did not come"
                + " from the source)";
    }

    private static boolean isAheadOrSame(Comparison c) {
        return c == Comparison.AHEAD || c == Comparison.SAME;
    }
}
