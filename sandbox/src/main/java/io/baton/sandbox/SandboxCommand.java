package io.baton.sandbox;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code ./baton sandbox up|status|down|kill|start}. */
@Command(name = "sandbox", mixinStandardHelpOptions = true,
        description = "Start and manage real MySQL/MariaDB topologies on this machine (no Docker).",
        subcommands = {SandboxCommand.Up.class, SandboxCommand.Status.class, SandboxCommand.Down.class,
                SandboxCommand.Kill.class, SandboxCommand.Start.class})
public final class SandboxCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        new picocli.CommandLine(this).usage(System.out);
        return 0;
    }

    @Command(name = "up", mixinStandardHelpOptions = true,
            description = "Start 1 source + N replicas with replication running and verified; write DIR/topology.json and DIR/baton.yml.")
    static final class Up implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "Folder for the servers' data, logs and topology.json.")
        Path dir;
        @Option(names = "--replicas", defaultValue = "2", description = "Number of replicas (default: ${DEFAULT-VALUE}).")
        int replicas;
        @Option(names = "--flavor", defaultValue = "mysql80", converter = FlavorConverter.class,
                description = "mysql80 (8.0.31), mysql57 (5.7.22) or mariadb (default: ${DEFAULT-VALUE}).")
        Flavor flavor;
        @Option(names = "--mode", defaultValue = "gtid", converter = ModeConverter.class,
                description = "gtid or position (default: ${DEFAULT-VALUE}).")
        ReplicationMode mode;
        @Option(names = "--base-port", defaultValue = "0", description = "First server port; the others follow (default: pick free ports from 33100).")
        int basePort;
        @Option(names = "--buffer-pool-mb", defaultValue = "32", description = "InnoDB buffer pool per server in MiB (default: ${DEFAULT-VALUE}).")
        int bufferPoolMb;
        @Option(names = "--performance-schema", description = "Run the servers with performance_schema ON (more memory).")
        boolean performanceSchema;
        @Option(names = "--proxy-port", defaultValue = "6033", description = "Proxy port written to baton.yml (default: ${DEFAULT-VALUE}).")
        int proxyPort;
        @Option(names = "--admin-port", defaultValue = "6032", description = "Admin console port written to baton.yml (default: ${DEFAULT-VALUE}).")
        int adminPort;
        @Option(names = "--metrics-port", defaultValue = "9033", description = "Metrics port written to baton.yml (default: ${DEFAULT-VALUE}).")
        int metricsPort;
        @Option(names = "--start-timeout", defaultValue = "120", description = "Seconds to wait for each server to accept connections (default: ${DEFAULT-VALUE}).")
        int startTimeout;

        @Override
        public Integer call() {
            SandboxOptions o = new SandboxOptions(dir, replicas, flavor, mode, basePort,
                    bufferPoolMb, performanceSchema, proxyPort, adminPort, metricsPort, startTimeout);
            long t0 = System.nanoTime();
            SandboxTopology t = Sandbox.up(o);
            TopologyFile f = t.file();
            System.out.printf("sandbox up in %.1f s: %s %s (%s), %d replica(s)%n", (System.nanoTime() - t0) / 1e9,
                    f.flavor(), f.version(), f.mode(), replicas);
            for (TopologyFile.Server s : f.servers()) {
                System.out.printf("  %-4s %-8s %s:%d  pid %d%n", s.name(), s.role(), s.host(), s.port(), s.pid());
            }
            TopologyFile.User app = f.user("app");
            TopologyFile.Server src = t.initialSource();
            System.out.println("topology: " + t.dir().resolve(TopologyFile.FILE));
            System.out.println("config:   " + f.config());
            System.out.printf("connect:  mariadb -h%s -P%d -u%s -p%s app%n", src.host(), src.port(), app.user(), app.password());
            System.out.println("stop:     ./baton sandbox down --dir " + dir);
            return 0;
        }
    }

    /** Turns a bad --flavor into a usage error (exit 2) that lists the accepted values. */
    public static final class FlavorConverter implements picocli.CommandLine.ITypeConverter<Flavor> {
        @Override
        public Flavor convert(String value) {
            try {
                return Flavor.parse(value);
            } catch (SandboxException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    /** Turns a bad --mode into a usage error (exit 2). */
    public static final class ModeConverter implements picocli.CommandLine.ITypeConverter<ReplicationMode> {
        @Override
        public ReplicationMode convert(String value) {
            try {
                return ReplicationMode.parse(value);
            } catch (SandboxException e) {
                throw new picocli.CommandLine.TypeConversionException(e.getMessage());
            }
        }
    }

    @Command(name = "status", mixinStandardHelpOptions = true, description = "Show each server of the topology in DIR: port, pid, role.")
    static final class Status implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "The topology's folder.")
        Path dir;

        @Override
        public Integer call() {
            List<Sandbox.ServerState> states = Sandbox.status(dir);
            System.out.printf("%-5s %-16s %-8s %s%n", "NAME", "ADDRESS", "PID", "STATE");
            for (Sandbox.ServerState s : states) {
                System.out.printf("%-5s %-16s %-8s %s%n", s.name(), s.host() + ":" + s.port(), s.running() ? s.pid() : "-", s.role());
            }
            return 0;
        }
    }

    @Command(name = "down", mixinStandardHelpOptions = true, description = "Stop every server cleanly; keep the data unless --purge.")
    static final class Down implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "The topology's folder.")
        Path dir;
        @Option(names = "--purge", description = "Also delete the servers' data and the topology files.")
        boolean purge;

        @Override
        public Integer call() {
            Sandbox.down(dir, purge);
            System.out.println("sandbox in " + dir + " is down" + (purge ? " and purged" : " (data kept; --purge deletes it)"));
            return 0;
        }
    }

    @Command(name = "kill", mixinStandardHelpOptions = true, description = "kill -9 one server (for failure drills).")
    static final class Kill implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "The topology's folder.")
        Path dir;
        @Parameters(paramLabel = "NAME", description = "Server name, e.g. db1.")
        String name;

        @Override
        public Integer call() {
            long pid = Sandbox.kill(dir, name);
            System.out.println("killed " + name + " (pid " + pid + ") with SIGKILL");
            return 0;
        }
    }

    @Command(name = "start", mixinStandardHelpOptions = true, description = "Restart one server on its datadir with the same flags.")
    static final class Start implements Callable<Integer> {
        @Option(names = "--dir", required = true, description = "The topology's folder.")
        Path dir;
        @Parameters(paramLabel = "NAME", description = "Server name, e.g. db1.")
        String name;
        @Option(names = "--start-timeout", defaultValue = "120", description = "Seconds to wait for it to accept connections (default: ${DEFAULT-VALUE}).")
        int startTimeout;

        @Override
        public Integer call() {
            long pid = Sandbox.start(dir, name, startTimeout);
            System.out.println("started " + name + " (pid " + pid + ")");
            return 0;
        }
    }
}
