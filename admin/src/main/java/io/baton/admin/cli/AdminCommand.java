package io.baton.admin.cli;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.config.ConfigException;
import io.baton.admin.console.ConsoleClient;
import java.io.BufferedReader;
import java.io.Console;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.completer.StringsCompleter;
import org.jline.reader.impl.history.DefaultHistory;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./baton admin}: a client of the admin console. With {@code -e} it runs the command(s) and
 * exits 0 if every one answered OK, 1 otherwise; without, it is interactive (line editing and
 * history) on a terminal, or reads one command per line from standard input.
 */
@Command(name = "admin", mixinStandardHelpOptions = true,
        description = {"Connect to the admin console of a running Baton: run one command (-e \"SHOW TOPOLOGY\") and exit",
                "0 on OK, 1 on ERROR; or work interactively (line editing, history, HELP lists the commands).",
                "The password comes from --password, --password-file, BATON_ADMIN_PASSWORD or --config, else it is asked for."})
public final class AdminCommand implements Callable<Integer> {
    static final String ENV = "BATON_ADMIN_PASSWORD";
    private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final List<String> WORDS = List.of("AUTH", "HELP", "QUIT", "FORMAT", "JSON", "TABLE", "SHOW", "TOPOLOGY",
            "SERVERS", "SESSIONS", "STATS", "FAILOVERS", "LAST", "CONFIG", "FAILOVER", "SWITCHOVER", "REJOIN", "TO", "FORCE",
            "PAUSE", "RESUME", "SET", "failover.auto", "failover.autoRejoin", "failover.blockSeconds", "failover.applyTimeout", "failover.stopTimeout",
            "failover.hookTimeout", "failover.maxPromotionLagSeconds", "monitor.failedChecks", "admin.idleTimeout",
            "admin.maxConnections");

    @Option(names = "--host", paramLabel = "H", description = "Console host (default: admin.host of --config, else 127.0.0.1).")
    String host;
    @Option(names = "--port", paramLabel = "P", description = "Console port (default: admin.port of --config, else 6032).")
    Integer port;

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Secret secret;

    static final class Secret {
        @Option(names = "--password", paramLabel = "PW", description = "The console password (visible to other users in ps:"
                + " prefer --password-file or BATON_ADMIN_PASSWORD).")
        String password;
        @Option(names = "--password-file", paramLabel = "F", description = "A file whose first line is the console password.")
        Path passwordFile;
    }

    @Option(names = "--json", description = "Answers as JSON, one object per command (FORMAT JSON).")
    boolean json;
    @Option(names = "-e", paramLabel = "CMD", description = "Run this command and exit (may be repeated; runs in order,"
            + " stops at the first ERROR).")
    List<String> execute;
    @Option(names = "--config", paramLabel = "FILE", description = "Take host, port and password defaults from this"
            + " configuration file (admin.host, admin.port, admin.password / admin.passwordFile).")
    Path config;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        BatonConfig.Admin fromConfig = config == null ? null : loadAdmin(config);
        String h = host != null ? host : fromConfig != null ? fromConfig.host : "127.0.0.1";
        int p = port != null ? port : fromConfig != null ? fromConfig.port : 6032;
        if (p < 1 || p > 65535) {
            throw new IllegalArgumentException("--port must be between 1 and 65535, not " + p);
        }
        boolean interactiveTerminal = execute == null && System.console() != null;
        BufferedReader stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String password = password(fromConfig, h, p, stdin);
        try (ConsoleClient client = connect(h, p)) {
            ConsoleClient.Answer auth = client.auth(password);
            if (!auth.ok()) {
                throw new CliException("the admin console at " + h + ":" + p + " refused the password: " + auth.message());
            }
            if (json) {
                ConsoleClient.Answer f = client.format(true);
                if (!f.ok()) {
                    throw new CliException("FORMAT JSON failed: " + f.message());
                }
            }
            if (execute != null) {
                for (String cmd : execute) {
                    if (!run(client, cmd, out)) {
                        return BatonCli.EXIT_FAILED;
                    }
                }
                return 0;
            }
            return interactiveTerminal ? interactive(client, h, p, out) : script(client, stdin, out);
        }
    }

    /** Sends one command, printing its answer as it streams; true if it ended OK. */
    private static boolean run(ConsoleClient client, String command, PrintWriter out) throws IOException {
        try {
            ConsoleClient.Answer a = client.send(command, line -> {
                out.println(line);
                out.flush();
            });
            return a.ok();
        } catch (IOException e) {
            throw new CliException("the admin console connection broke: " + e.getMessage(), e);
        }
    }

    /** Commands from standard input (not a terminal), one per line; exit 1 if any answered ERROR. */
    private static int script(ConsoleClient client, BufferedReader stdin, PrintWriter out) throws IOException {
        boolean allOk = true;
        String line;
        while ((line = stdin.readLine()) != null) {
            if (line.isBlank()) {
                continue;
            }
            allOk &= run(client, line.strip(), out);
            if (line.strip().equalsIgnoreCase("QUIT")) {
                break;
            }
        }
        return allOk ? 0 : BatonCli.EXIT_FAILED;
    }

    /** A terminal: JLine line editing, completion of keywords, history in ~/.baton_admin_history (AUTH lines never). */
    private static int interactive(ConsoleClient client, String h, int p, PrintWriter out) throws IOException {
        try (Terminal terminal = TerminalBuilder.builder().system(true).build()) {
            return interactive(client, h, p, terminal, Path.of(System.getProperty("user.home"), ".baton_admin_history"));
        }
    }

    /**
     * The interactive loop on a given terminal (the system's, or one over streams in tests): reads a
     * line with editing, sends it, prints the answer as it streams; QUIT or end of input leaves.
     * Commands go to the history file, AUTH lines never.
     */
    public static int interactive(ConsoleClient client, String h, int p, Terminal terminal, Path historyFile)
            throws IOException {
        LineReader reader = LineReaderBuilder.builder().terminal(terminal).appName("baton-admin")
                .completer(new StringsCompleter(WORDS))
                .history(new WithoutAuthLines())
                .variable(LineReader.HISTORY_FILE, historyFile)
                .option(LineReader.Option.CASE_INSENSITIVE, true)
                .build();
        PrintWriter tw = terminal.writer();
        tw.println(client.greeting());
        tw.println("Connected to " + h + ":" + p + " and logged in. HELP lists the commands; QUIT or Ctrl-D leaves.");
        tw.flush();
        String prompt = "baton " + h + ":" + p + "> ";
        while (true) {
            String line;
            try {
                line = reader.readLine(prompt);
            } catch (UserInterruptException e) {
                continue; // Ctrl-C drops the line
            } catch (EndOfFileException e) {
                line = "QUIT";
            }
            if (line == null || line.isBlank()) {
                continue;
            }
            String cmd = line.strip();
            try {
                client.send(cmd, l -> {
                    tw.println(l);
                    tw.flush();
                });
            } catch (IOException e) {
                tw.println("baton: the admin console connection closed: " + e.getMessage());
                tw.flush();
                saveHistory(reader);
                return cmd.equalsIgnoreCase("QUIT") ? 0 : BatonCli.EXIT_FAILED;
            }
            if (cmd.equalsIgnoreCase("QUIT")) {
                saveHistory(reader);
                return 0;
            }
        }
    }

    /** The reader's history, except AUTH lines: a password never reaches memory history or the file. */
    private static final class WithoutAuthLines extends DefaultHistory {
        @Override
        public void add(java.time.Instant time, String line) {
            if (!line.strip().regionMatches(true, 0, "AUTH", 0, 4)) {
                super.add(time, line);
            }
        }
    }

    private static void saveHistory(LineReader reader) {
        try {
            reader.getHistory().save();
        } catch (IOException ignored) {
            // history is a convenience
        }
    }

    private static ConsoleClient connect(String h, int p) {
        try {
            return ConsoleClient.connect(h, p, CONNECT_TIMEOUT);
        } catch (IOException e) {
            throw new CliException("cannot reach the admin console at " + h + ":" + p + ": " + e.getMessage()
                    + " (is Baton running with admin.port " + p + "? see --host, --port, --config)", e);
        }
    }

    /** --password, --password-file, BATON_ADMIN_PASSWORD, the --config file, else asked for (without echo on a terminal). */
    private String password(BatonConfig.Admin fromConfig, String h, int p, BufferedReader stdin) throws IOException {
        if (secret != null && secret.password != null) {
            return secret.password;
        }
        if (secret != null && secret.passwordFile != null) {
            return firstLine(secret.passwordFile);
        }
        String env = System.getenv(ENV);
        if (env != null && !env.isEmpty()) {
            return env;
        }
        if (fromConfig != null && fromConfig.password != null) {
            return fromConfig.password;
        }
        if (fromConfig != null && fromConfig.passwordFile != null) {
            return firstLine(Path.of(fromConfig.passwordFile));
        }
        Console console = System.console();
        if (console != null) {
            char[] pw = console.readPassword("Password for the admin console at %s:%d: ", h, p);
            if (pw == null) {
                throw new CliException("no password given");
            }
            return new String(pw);
        }
        String line = stdin.readLine(); // not a terminal: the first line of standard input
        if (line == null) {
            throw new CliException("no password: give --password-file, --password, " + ENV + " or --config,"
                    + " or the password as the first line of standard input");
        }
        return line;
    }

    private static String firstLine(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            String line = text.lines().findFirst().orElse("");
            if (line.isEmpty()) {
                throw new CliException("the password file " + file + " is empty");
            }
            return line;
        } catch (IOException e) {
            throw new CliException("cannot read the password file " + file + ": " + e.getMessage(), e);
        }
    }

    private static BatonConfig.Admin loadAdmin(Path file) {
        try {
            return BatonConfig.load(file).admin;
        } catch (ConfigException e) {
            throw new CliException(e.getMessage());
        }
    }
}
