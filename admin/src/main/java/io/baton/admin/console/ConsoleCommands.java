package io.baton.admin.console;

import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commands after AUTH, each reading or driving one running {@link BatonNode}, dispatched by group:
 * {@link ShowCommands} read, {@link ProcedureCommands} drive failover, switchover, rejoin and the gate,
 * {@link SetCommand} changes a runtime setting. A command either answers (a {@link Reply}) or, for the
 * long operations, streams each step as it runs and then answers. Commands that change something are
 * logged at INFO with who asked.
 */
final class ConsoleCommands {
    private static final Logger log = LoggerFactory.getLogger(ConsoleCommands.class);

    /** The session a command runs for. */
    interface Caller {
        /** For logs and procedure triggers: "console 127.0.0.1:54321". */
        String who();

        ConsoleOutput out();
    }

    private final ShowCommands show;
    private final ProcedureCommands procedures;
    private final SetCommand set;

    ConsoleCommands(BatonNode node) {
        this.show = new ShowCommands(node);
        this.procedures = new ProcedureCommands(node);
        this.set = new SetCommand(node);
    }

    Reply run(CommandCatalog.Spec spec, List<String> args, Caller caller) {
        return switch (spec.name()) {
            case "FORMAT" -> format(args, caller);
            case "SHOW TOPOLOGY" -> noArgs(spec, args).orElseGet(show::showTopology);
            case "SHOW SERVERS" -> noArgs(spec, args).orElseGet(show::showServers);
            case "SHOW SESSIONS" -> noArgs(spec, args).orElseGet(show::showSessions);
            case "SHOW STATS" -> noArgs(spec, args).orElseGet(show::showStats);
            case "SHOW FAILOVERS" -> show.showFailovers(args);
            case "SHOW CONFIG" -> noArgs(spec, args).orElseGet(show::showConfig);
            case "SHOW CLUSTER" -> noArgs(spec, args).orElseGet(show::showCluster);
            case "FAILOVER" -> procedures.failover(args, caller);
            case "SWITCHOVER" -> procedures.switchover(args, caller);
            case "REJOIN" -> procedures.rejoin(args, caller);
            case "PAUSE" -> noArgs(spec, args).orElseGet(() -> procedures.pause(caller));
            case "RESUME" -> noArgs(spec, args).orElseGet(() -> procedures.resume(caller));
            case "SET" -> set.set(args, caller);
            default -> Reply.error("'" + spec.name() + "' is not handled here"); // AUTH, HELP, QUIT: the session's
        };
    }

    private static Optional<Reply> noArgs(CommandCatalog.Spec spec, List<String> args) {
        if (args.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(Reply.error(spec.name() + " takes no arguments (got '" + String.join(" ", args) + "'): "
                + spec.syntax()));
    }

    // ------------------------------------------------------------------------------------ FORMAT

    private Reply format(List<String> args, Caller caller) {
        if (args.size() == 1) {
            String f = CommandCatalog.upper(args.get(0));
            if (f.equals("JSON") || f.equals("TABLE")) {
                caller.out().format(ConsoleOutput.Format.valueOf(f));
                return Reply.ok("format " + f).data("format", f);
            }
        }
        return Reply.error("FORMAT takes JSON or TABLE" + (args.isEmpty() ? "" : ", not '" + String.join(" ", args) + "'")
                + " (now " + caller.out().format() + ")");
    }

    // ------------------------------------------------------------------------------------ helpers

    /** The configured server of that name (exact, else case-insensitive). */
    static Optional<String> server(BatonConfig config, String name) {
        if (config.server(name) != null) {
            return Optional.of(name);
        }
        return config.servers.stream().map(s -> s.name).filter(n -> n.equalsIgnoreCase(name)).findFirst();
    }

    static Reply unknownServer(BatonConfig config, String name) {
        return Reply.error("no server named '" + name + "'; servers: " + serverNames(config));
    }

    static String serverNames(BatonConfig config) {
        return config.servers.stream().map(s -> s.name).collect(Collectors.joining(", "));
    }

    static String age(long millis) {
        long s = millis / 1000;
        if (s < 60) {
            return s + "s";
        }
        if (s < 3600) {
            return String.format("%dm%02ds", s / 60, s % 60);
        }
        if (s < 86_400) {
            return String.format("%dh%02dm", s / 3600, (s % 3600) / 60);
        }
        return String.format("%dd%02dh", s / 86_400, (s % 86_400) / 3600);
    }

    static String ago(Instant t) {
        long ms = java.time.Duration.between(t, Instant.now()).toMillis();
        return ms < 1000 ? ms + " ms" : age(ms);
    }
}
