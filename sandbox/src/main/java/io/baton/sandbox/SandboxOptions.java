package io.baton.sandbox;

import java.nio.file.Path;

/**
 * What {@code sandbox up} builds. Ports: {@code basePort} 0 picks free loopback ports; otherwise the
 * servers take basePort, basePort+1, ...
 */
public record SandboxOptions(Path dir, int replicas, Flavor flavor, ReplicationMode mode, int basePort,
                             int bufferPoolMb, boolean performanceSchema, int proxyPort, int adminPort, int metricsPort,
                             int startTimeoutSeconds) {

    public static final int DEFAULT_PROXY_PORT = 6033;
    public static final int DEFAULT_ADMIN_PORT = 6032;
    public static final int DEFAULT_METRICS_PORT = 9033;

    public SandboxOptions {
        if (replicas < 0 || replicas > 9) {
            throw new SandboxException("--replicas must be between 0 and 9, not " + replicas);
        }
        if (basePort != 0 && (basePort < 1024 || basePort + replicas > 65535)) {
            throw new SandboxException("--base-port must leave room for " + (replicas + 1) + " ports between 1024 and 65535");
        }
        if (bufferPoolMb < 5) {
            throw new SandboxException("--buffer-pool-mb must be at least 5");
        }
        if (startTimeoutSeconds < 1) {
            throw new SandboxException("the start timeout must be at least 1 second");
        }
    }

    public static SandboxOptions defaults(Path dir) {
        return new SandboxOptions(dir, 2, Flavor.MYSQL80, ReplicationMode.GTID, 0, 32, false,
                DEFAULT_PROXY_PORT, DEFAULT_ADMIN_PORT, DEFAULT_METRICS_PORT, 120);
    }

    public SandboxOptions withReplicas(int n) {
        return new SandboxOptions(dir, n, flavor, mode, basePort, bufferPoolMb, performanceSchema, proxyPort, adminPort,
                metricsPort, startTimeoutSeconds);
    }

    public SandboxOptions withFlavor(Flavor f) {
        return new SandboxOptions(dir, replicas, f, mode, basePort, bufferPoolMb, performanceSchema, proxyPort, adminPort,
                metricsPort, startTimeoutSeconds);
    }

    public SandboxOptions withMode(ReplicationMode m) {
        return new SandboxOptions(dir, replicas, flavor, m, basePort, bufferPoolMb, performanceSchema, proxyPort, adminPort,
                metricsPort, startTimeoutSeconds);
    }

    public SandboxOptions withBasePort(int p) {
        return new SandboxOptions(dir, replicas, flavor, mode, p, bufferPoolMb, performanceSchema, proxyPort, adminPort,
                metricsPort, startTimeoutSeconds);
    }

    public SandboxOptions withPerformanceSchema(boolean on) {
        return new SandboxOptions(dir, replicas, flavor, mode, basePort, bufferPoolMb, on, proxyPort, adminPort,
                metricsPort, startTimeoutSeconds);
    }

    public SandboxOptions withProxyPorts(int proxy, int admin, int metrics) {
        return new SandboxOptions(dir, replicas, flavor, mode, basePort, bufferPoolMb, performanceSchema, proxy, admin,
                metrics, startTimeoutSeconds);
    }
}
