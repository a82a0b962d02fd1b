package io.baton.admin.cli;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.config.ConfigException;
import io.baton.admin.BatonNode;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./baton proxy --config FILE}: runs the proxy until stopped (Ctrl-C or SIGTERM). */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = "Run Baton: the MySQL proxy (and, as they are configured, its console and metrics).")
public final class ProxyCommand implements Callable<Integer> {
    /**
     * The JVM options a proxy runs with: {@code ./baton proxy} (the script names them too, ahead of BATON_JAVA_OPTS,
     * which win), the container's entry point, and the benchmarks' Baton processes. A small young generation: Baton's
     * data path allocates next to nothing per statement and an idle session keeps about 4 KiB alive, so G1's default
     * (an eden of up to 60 % of a heap that may grow to a quarter of the machine's memory) only lets the garbage of
     * login bursts touch more pages; 16 MiB costs no collection under steady statements and bounds the RSS (README, "JVM options").
     */
    public static final java.util.List<String> JVM_OPTIONS = java.util.List.of("-XX:MaxNewSize=16m");

    @Option(names = "--config", required = true, description = "Configuration file (e.g. the baton.yml that 'sandbox up' writes).")
    Path config;
    @Option(names = "--port", description = "Proxy port (overrides proxy.port).")
    Integer port;
    @Option(names = "--read-port", description = "Read-only port over the replicas (overrides proxy.readPort; 0: none).")
    Integer readPort;
    @Option(names = "--admin-port", description = "Admin console port (overrides admin.port).")
    Integer adminPort;
    @Option(names = "--metrics-port", description = "Metrics/health HTTP port (overrides metrics.port).")
    Integer metricsPort;

    @Override
    public Integer call() throws Exception {
        BatonConfig c;
        try {
            c = BatonConfig.load(config);
        } catch (ConfigException e) {
            throw new CliException(e.getMessage());
        }
        if (port != null) {
            c.proxy.port = port;
        }
        if (readPort != null) {
            c.proxy.readPort = readPort;
        }
        if (adminPort != null) {
            c.admin.port = adminPort;
        }
        if (metricsPort != null) {
            c.metrics.port = metricsPort;
        }
        c.validate("command line");
        BatonNode node = start(c, config);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            node.close();
            stopped.countDown();
        }, "baton-shutdown"));
        System.out.println("Baton is listening on " + c.proxy.host + ":" + node.proxy().port() + ", routing to "
                + node.proxy().source() + " (failover.auto " + (c.failover.auto ? "on" : "off") + ")"
                + (node.proxy().readPort() > 0 ? "; reads on " + c.proxy.host + ":" + node.proxy().readPort() : ""));
        stopped.await();
        return 0;
    }

    /** Builds and starts Baton (proxy, monitor, failover engine) for a configuration. */
    public static BatonNode start(BatonConfig c, Path configFile) throws InterruptedException {
        try {
            return BatonNode.start(c, ProcedureRunner.reportDir(c, configFile), null);
        } catch (IllegalStateException e) {
            throw new CliException(e.getMessage(), e);
        }
    }
}
