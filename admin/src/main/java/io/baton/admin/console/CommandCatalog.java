package io.baton.admin.console;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Every console command: its name (one or two keywords), syntax, one-line summary and help text.
 * Keywords are case-insensitive; an unknown command is answered with the closest names by edit
 * distance.
 */
final class CommandCatalog {
    private CommandCatalog() {
    }

    /** A command as HELP describes it; {@code beforeAuth}: usable before AUTH. */
    record Spec(String name, String syntax, String summary, String help, boolean beforeAuth) {
        int words() {
            return name.split(" ").length;
        }
    }

    static final List<Spec> ALL = List.of(
            new Spec("AUTH", "AUTH <password>", "log in (the rest of the line is the password)",
                    "Logs this connection in. The rest of the line is the password, spaces included. A wrong password is"
                            + " answered after a delay that grows with each failure; after 5 failures the connection closes.",
                    true),
            new Spec("HELP", "HELP [command]", "list the commands, or explain one",
                    "Without an argument lists every command; HELP SHOW TOPOLOGY (or any command name) explains one.", true),
            new Spec("QUIT", "QUIT", "close this connection", "Closes this connection.", true),
            new Spec("FORMAT", "FORMAT JSON | FORMAT TABLE", "answer in JSON (for scripts) or aligned tables (default)",
                    "FORMAT JSON: each command then answers with one JSON object on one line, with \"ok\": true or false"
                            + " (long operations first stream {\"event\": ...} objects, one per step). FORMAT TABLE:"
                            + " aligned text, each command ending with a line OK or ERROR <message>.", false),
            new Spec("SHOW TOPOLOGY", "SHOW TOPOLOGY", "servers, roles, health, lag, replication threads, positions, warnings",
                    "The monitor's latest look at every server: role, health, replication lag and threads, where each"
                            + " replicates from, binary log positions and GTID sets, and the pre-flight warnings (what would"
                            + " make a failover lose data or fail).", false),
            new Spec("SHOW SERVERS", "SHOW SERVERS", "the configured servers and what they are now",
                    "Each configured server: address, live role, configured role, priority, never-promote, whether the"
                            + " proxy routes to it, reachable, version, read-only.", false),
            new Spec("SHOW SESSIONS", "SHOW SESSIONS", "client sessions: id, user, schema, state, backend, age",
                    "Every client session of the proxy: its id (the one clients see), user, schema, state (and whether"
                            + " it is inside a transaction), backend server, client address, age, commands run, and why it"
                            + " could not move to another server if it could not.", false),
            new Spec("SHOW STATS", "SHOW STATS", "sessions, gate, migrations, failovers and the proxy's meters",
                    "Counters and gauges: sessions open, the gate (open or closed, why, statements waiting), session"
                            + " migrations, failovers/switchovers/rejoins by outcome, and every baton.* meter of the proxy.",
                    false),
            new Spec("SHOW FAILOVERS", "SHOW FAILOVERS [LAST | n]", "failover, switchover and rejoin reports with step timings",
                    "Without an argument: one line per report, newest first. LAST: the newest report in full, each step"
                            + " with its duration and result. n: the newest n reports in full (1 to 50).", false),
            new Spec("SHOW CONFIG", "SHOW CONFIG", "the running configuration (passwords hidden)",
                    "Every configuration key with its value, and whether SET can change it at runtime or it needs a"
                            + " restart. Passwords are shown as *****.", false),
            new Spec("SHOW CLUSTER", "SHOW CLUSTER", "the cluster's nodes, leader, epoch, gates and leases",
                    "With cluster: configured, every node of this Baton cluster (its live ZooKeeper session): proxy and"
                            + " admin addresses, which is the leader, the route epoch it applied, its gate (open, closed or"
                            + " FENCED), its sessions and how long its lease still runs; then the route record (epoch,"
                            + " source, gate, last procedure). Without a cluster it says this Baton runs alone.", false),
            new Spec("FAILOVER", "FAILOVER [TO <server>] [FORCE]", "promote a replica because the source is lost",
                    "Fails over from a lost source: stops the replicas' IO threads, lets them apply their relay logs,"
                            + " promotes the most advanced one (or TO <server>), repoints the others and moves every"
                            + " client session. Each step is shown as it runs. Refused while the source is healthy (use"
                            + " SWITCHOVER, which loses nothing) unless FORCE is given: then the source is first made"
                            + " read-only, and transactions its replicas have not received are lost.", false),
            new Spec("SWITCHOVER", "SWITCHOVER TO <server>", "planned change of source, no write lost",
                    "Planned switchover with the source alive: holds new statements at the gate, makes the source"
                            + " read-only, waits until <server> has executed everything, promotes it, repoints the others"
                            + " and the old source, moves every client session, opens the gate. <server> must be a healthy"
                            + " replica of the source. Each step is shown as it runs.", false),
            new Spec("REJOIN", "REJOIN <server> [FORCE]", "make a server (the old source) a replica of the source",
                    "Makes <server> (typically the old source, back after a failover) a replica of the current source."
                            + " Errant transactions (on <server> but not on the source) are reported and block the rejoin"
                            + " unless FORCE is given (they then stay on <server> only).", false),
            new Spec("PAUSE", "PAUSE", "close the gate: hold new statements",
                    "Closes the proxy's gate: statements already running finish, transactions in progress may go on,"
                            + " every new statement waits (at most gate.maxWait, then it gets an error). RESUME opens it.",
                    false),
            new Spec("RESUME", "RESUME", "open the gate: held statements proceed",
                    "Opens the proxy's gate: held statements proceed on the current source.", false),
            new Spec("SET", "SET <key> = <value>", "change a setting at runtime",
                    "Changes a setting of the running Baton (not the configuration file). Runtime settings: "
                            + String.join(", ", Settings.runtimeKeys()) + ". They take effect at once: the monitor's"
                            + " next round uses a new interval, new statements a new gate wait, sessions the new limits"
                            + " (open sessions stay open when maxConnections is lowered). Others (listen addresses,"
                            + " TLS, limits.ioThreads, credentials, hooks) are read when Baton starts: change them in"
                            + " the configuration file and restart.", false));

    private static final Pattern WORD = Pattern.compile("\"([^\"]*)\"|'([^']*)'|=|[^\\s=]+");

    /** The words of a line: whitespace separates, '=' is a word of its own, quotes keep spaces. */
    static List<String> words(String line) {
        List<String> out = new ArrayList<>();
        Matcher m = WORD.matcher(line);
        while (m.find()) {
            out.add(m.group(1) != null ? m.group(1) : m.group(2) != null ? m.group(2) : m.group());
        }
        return out;
    }

    /** The command the first words name (two-word names first), or empty. */
    static Optional<Spec> find(List<String> words) {
        if (words.isEmpty()) {
            return Optional.empty();
        }
        String one = upper(words.get(0));
        String two = words.size() > 1 ? one + " " + upper(words.get(1)) : null;
        for (Spec s : ALL) {
            if (s.name().equals(two)) {
                return Optional.of(s);
            }
        }
        for (Spec s : ALL) {
            if (s.name().equals(one)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** Commands whose name starts with the given first keyword (SHOW ...). */
    static List<Spec> family(String firstWord) {
        String w = upper(firstWord);
        return ALL.stream().filter(s -> s.name().startsWith(w + " ")).toList();
    }

    /** Up to three command names closest to what was typed (empty if nothing is close). */
    static List<String> closest(List<String> words, boolean authenticated) {
        String one = upper(words.get(0));
        String two = words.size() > 1 ? one + " " + upper(words.get(1)) : one;
        record Scored(String name, int d) {
        }
        List<Scored> scored = new ArrayList<>();
        for (Spec s : ALL) {
            if (!authenticated && !s.beforeAuth()) {
                continue;
            }
            int d;
            if (s.words() == 2) {
                String second = s.name().substring(s.name().indexOf(' ') + 1);
                d = Math.min(distance(two, s.name()), distance(one, second) + 1); // "TOPOLOGY" alone is close to SHOW TOPOLOGY
            } else {
                d = distance(one, s.name());
            }
            int allowed = Math.max(2, s.name().length() / 3);
            if (d <= allowed) {
                scored.add(new Scored(s.name(), d));
            }
        }
        return scored.stream().sorted(Comparator.comparingInt(Scored::d).thenComparing(Scored::name)).limit(3)
                .map(Scored::name).toList();
    }

    /** Edit distance with transpositions (optimal string alignment): "QUTI" is 1 from "QUIT". */
    static int distance(String a, String b) {
        int[][] d = new int[a.length() + 1][b.length() + 1];
        for (int i = 0; i <= a.length(); i++) {
            d[i][0] = i;
        }
        for (int j = 0; j <= b.length(); j++) {
            d[0][j] = j;
        }
        for (int i = 1; i <= a.length(); i++) {
            for (int j = 1; j <= b.length(); j++) {
                int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
                d[i][j] = Math.min(Math.min(d[i - 1][j] + 1, d[i][j - 1] + 1), d[i - 1][j - 1] + cost);
                if (i > 1 && j > 1 && a.charAt(i - 1) == b.charAt(j - 2) && a.charAt(i - 2) == b.charAt(j - 1)) {
                    d[i][j] = Math.min(d[i][j], d[i - 2][j - 2] + 1);
                }
            }
        }
        return d[a.length()][b.length()];
    }

    static String upper(String s) {
        return s.toUpperCase(Locale.ROOT);
    }
}
