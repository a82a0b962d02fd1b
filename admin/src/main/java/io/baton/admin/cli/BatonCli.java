package io.baton.admin.cli;

import io.baton.sandbox.SandboxCommand;
import io.baton.sandbox.SandboxException;
import io.baton.sandbox.zk.ZkCommand;
import java.util.ServiceLoader;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The single entry point behind {@code ./baton}. */
@Command(name = "baton", mixinStandardHelpOptions = true, versionProvider = BatonCli.Version.class,
        description = "Baton: a MySQL wire-protocol proxy with failover built in.",
        subcommands = {ProxyCommand.class, DemoCommand.class, SandboxCommand.class, ZkCommand.class, TopologyCommand.class,
                FailoverCommand.class, SwitchoverCommand.class, RejoinCommand.class, AdminCommand.class})
public final class BatonCli implements Callable<Integer> {

    /** Exit code for a usage error (wrong flag, bad value). */
    public static final int EXIT_USAGE = 2;
    /** Exit code for a command that ran and failed. */
    public static final int EXIT_FAILED = 1;

    public static void main(String[] args) {
        // Netty's leak detector samples buffers with a stack trace each: worth it in tests (where it stays on),
        // not on a production data path. -Dio.netty.leakDetection.level=... still chooses.
        if (System.getProperty("io.netty.leakDetection.level") == null) {
            io.netty.util.ResourceLeakDetector.setLevel(io.netty.util.ResourceLeakDetector.Level.DISABLED);
        }
        System.exit(run(args));
    }

    /** Runs the CLI and returns its exit code (used by tests, which must not exit the JVM). */
    public static int run(String... args) {
        return commandLine().execute(args);
    }

    public static CommandLine commandLine() {
        CommandLine cl = new CommandLine(new BatonCli());
        // Subcommands contributed by modules above admin (e.g. perf's 'bench').
        for (Subcommand s : ServiceLoader.load(Subcommand.class)) {
            cl.addSubcommand(s.command());
        }
        cl.setParameterExceptionHandler((ex, args) -> {
            CommandLine c = ex.getCommandLine();
            c.getErr().println("baton: " + ex.getMessage() + " (see '" + c.getCommandSpec().qualifiedName() + " --help')");
            return EXIT_USAGE;
        });
        cl.setExecutionExceptionHandler((ex, c, parseResult) -> {
            if (ex instanceof SandboxException || ex instanceof CliException) {
                c.getErr().println("baton: " + ex.getMessage());
                return EXIT_FAILED;
            }
            if (ex instanceof IllegalArgumentException) {
                c.getErr().println("baton: " + ex.getMessage());
                return EXIT_USAGE;
            }
            throw ex;
        });
        return cl;
    }

    @Override
    public Integer call() {
        new CommandLine(this).usage(System.out);
        return 0;
    }

    /** Reads the version from the jar manifest when packaged. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = BatonCli.class.getPackage().getImplementationVersion();
            return new String[] {"baton " + (v == null ? "dev" : v)};
        }
    }
}
