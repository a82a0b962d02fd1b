package io.baton.sandbox.zk;

import io.baton.sandbox.SandboxException;
import java.io.File;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Collectors;

/**
 * What {@code zk up} builds. Ports: {@code basePort} 0 picks free loopback ports; otherwise server N
 * takes basePort+3(N-1) (client), +1 (quorum), +2 (election). {@code classpath} is what the servers
 * run with: by default this JVM's own (the baton.jar from the CLI, the test class path in tests),
 * which holds ZooKeeper's {@code QuorumPeerMain}.
 */
public record EnsembleOptions(Path dir, int nodes, int basePort, int startTimeoutSeconds, String classpath) {

    public static final int DEFAULT_NODES = 3;
    public static final int DEFAULT_START_TIMEOUT_SECONDS = 30;
    static final int MAX_NODES = 9;

    public EnsembleOptions {
        if (nodes < 1 || nodes > MAX_NODES || nodes % 2 == 0) {
            throw new SandboxException("--nodes must be odd, from 1 to " + MAX_NODES + ", not " + nodes
                    + (nodes > 1 && nodes % 2 == 0 ? ": an even ensemble survives no more failures than one server fewer"
                    + " (" + nodes + " tolerate " + (nodes / 2 - 1) + ", like " + (nodes - 1) + ") and needs a larger quorum" : ""));
        }
        if (basePort != 0 && (basePort < 1024 || basePort + 3 * nodes > 65535)) {
            throw new SandboxException("the base port must leave room for " + 3 * nodes + " ports between 1024 and 65535");
        }
        if (startTimeoutSeconds < 1) {
            throw new SandboxException("--start-timeout must be at least 1 second, not " + startTimeoutSeconds);
        }
        if (classpath == null || classpath.isBlank()) {
            throw new SandboxException("no class path to run ZooKeeper with");
        }
        classpath = absolute(classpath);
    }

    public static EnsembleOptions defaults(Path dir) {
        return new EnsembleOptions(dir, DEFAULT_NODES, 0, DEFAULT_START_TIMEOUT_SECONDS, System.getProperty("java.class.path"));
    }

    public EnsembleOptions withNodes(int n) {
        return new EnsembleOptions(dir, n, basePort, startTimeoutSeconds, classpath);
    }

    public EnsembleOptions withBasePort(int p) {
        return new EnsembleOptions(dir, nodes, p, startTimeoutSeconds, classpath);
    }

    public EnsembleOptions withStartTimeout(int seconds) {
        return new EnsembleOptions(dir, nodes, basePort, seconds, classpath);
    }

    public EnsembleOptions withClasspath(String cp) {
        return new EnsembleOptions(dir, nodes, basePort, startTimeoutSeconds, cp);
    }

    /** Servers are restarted later from other folders (a test, another CLI run): no relative entries. */
    private static String absolute(String classpath) {
        return Arrays.stream(classpath.split(File.pathSeparator)).filter(e -> !e.isBlank())
                .map(e -> Path.of(e).toAbsolutePath().normalize().toString())
                .collect(Collectors.joining(File.pathSeparator));
    }
}
