package io.baton.sandbox.zk;

import io.baton.sandbox.SandboxException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./baton zk up|status|down}. */
@Command(name = "zk", mixinStandardHelpOptions = true,
        description = "Start and manage a local ZooKeeper ensemble on this machine (127.0.0.1 only), for Baton clusters and tests.",
        subcommands = {ZkCommand.Up.class, ZkCommand.Status.class, ZkCommand.Down.class})
public final class ZkCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getOut());
        return 0;
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Start N ZooKeeper servers as separate JVMs on free loopback ports; wait until one leads "
                    + "and every server serves; write DIR/ensemble.json.")
    static final class Up implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--dir", required = true,
                description = "Folder for the servers' data, configs and logs (DIR/zkN/) and ensemble.json; created if missing.")
        Path dir;
        @Option(names = "--nodes", defaultValue = "3",
                description = "Number of servers: odd, 1 to 9 (default: ${DEFAULT-VALUE}). Even counts are refused: "
                        + "they tolerate no more failures than one server fewer.")
        int nodes;
        @Option(names = "--start-timeout", defaultValue = "30",
                description = "Seconds to wait for a leader and every server to serve (default: ${DEFAULT-VALUE}).")
        int startTimeout;

        @Override
        public Integer call() {
            EnsembleOptions o;
            try {
                o = EnsembleOptions.defaults(dir).withNodes(nodes).withStartTimeout(startTimeout);
            } catch (SandboxException e) {
                throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage(), e);
            }
            long t0 = System.nanoTime();
            Ensemble ensemble = Ensemble.up(o);
            PrintWriter out = spec.commandLine().getOut();
            out.printf("ZooKeeper ensemble up in %.1f s: %d server(s)%n", (System.nanoTime() - t0) / 1e9, nodes);
            printStates(out, Ensemble.status(ensemble.dir()));
            out.println("connect:  " + ensemble.connectString());
            out.println("ensemble: " + ensemble.dir().resolve(EnsembleFile.FILE));
            out.println("stop:     ./baton zk down --dir " + dir);
            out.flush();
            return 0;
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true,
            description = "Show each server of the ensemble in DIR: id, port, pid, alive, mode (leader/follower). "
                    + "Exits 1 when DIR holds no ensemble.")
    static final class Status implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--dir", required = true, description = "The ensemble's folder (as given to 'zk up').")
        Path dir;

        @Override
        public Integer call() {
            PrintWriter out = spec.commandLine().getOut();
            printStates(out, Ensemble.status(dir));
            out.flush();
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true,
            description = "Stop every server of the ensemble in DIR (by the PIDs it recorded); keep the data unless --purge.")
    static final class Down implements Callable<Integer> {
        @Spec
        CommandSpec spec;
        @Option(names = "--dir", required = true, description = "The ensemble's folder (as given to 'zk up').")
        Path dir;
        @Option(names = "--purge",
                description = "Also delete what 'zk up' made (DIR/zkN/, ensemble.json), and DIR itself when that leaves it empty.")
        boolean purge;

        @Override
        public Integer call() {
            Ensemble.down(dir, purge);
            PrintWriter out = spec.commandLine().getOut();
            out.println("ZooKeeper ensemble in " + dir + " is down" + (purge ? " and purged" : " (data kept; --purge deletes it)"));
            out.flush();
            return 0;
        }
    }

    private static void printStates(PrintWriter out, List<Ensemble.ServerState> states) {
        out.printf("%-3s %-16s %-8s %-6s %s%n", "ID", "ADDRESS", "PID", "ALIVE", "MODE");
        for (Ensemble.ServerState s : states) {
            out.printf("%-3d %-16s %-8s %-6s %s%n", s.id(), s.host() + ":" + s.port(), s.alive() ? s.pid() : "-",
                    s.alive() ? "yes" : "no", s.mode());
        }
    }
}
