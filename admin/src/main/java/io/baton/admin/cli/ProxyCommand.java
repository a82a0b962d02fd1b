package io.baton.admin.cli;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.config.ConfigException;
import io.baton.proxy.ProxyServer;
import io.baton.proxy.ProxySettings;
import io.baton.proxy.TlsContexts;
import io.baton.proxy.UserDirectory;
import io.baton.proxy.routing.Endpoint;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./baton proxy --config FILE}: runs the proxy until stopped (Ctrl-C or SIGTERM). */
@Command(name = "proxy", mixinStandardHelpOptions = true,
        description = "Run Baton: the MySQL proxy (and, as they are configured, its console and metrics).")
public final class ProxyCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Configuration file (e.g. the baton.yml that 'sandbox up' writes).")
    Path config;
    @Option(names = "--port", description = "Proxy port (overrides proxy.port).")
    Integer port;
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
        if (adminPort != null) {
            c.admin.port = adminPort;
        }
        if (metricsPort != null) {
            c.metrics.port = metricsPort;
        }
        c.validate("command line");
        ProxyServer proxy = start(c);
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            proxy.close();
            stopped.countDown();
        }, "baton-shutdown"));
        System.out.println("Baton is listening on " + c.proxy.host + ":" + proxy.port() + ", routing to " + proxy.source());
        stopped.await();
        return 0;
    }

    /** Builds and starts the proxy of a configuration. */
    public static ProxyServer start(BatonConfig c) throws InterruptedException {
        ProxySettings s = settings(c);
        UserDirectory users = new UserDirectory();
        for (BatonConfig.User u : c.users) {
            users.add(u.user, u.password);
        }
        BatonConfig.Server src = c.servers.stream().filter(x -> "source".equals(x.role)).findFirst().orElse(c.servers.get(0));
        ProxyServer proxy = new ProxyServer(s, users, new Endpoint(src.name, src.host, src.port),
                c.tls.enabled ? TlsContexts.server(c.tls.certFile, c.tls.keyFile) : null, null);
        try {
            return proxy.start();
        } catch (IllegalStateException e) {
            throw new CliException(e.getMessage(), e);
        }
    }

    static ProxySettings settings(BatonConfig c) {
        return new ProxySettings(c.proxy.host, c.proxy.port, c.limits.ioThreads, c.limits.maxConnections,
                c.limits.maxPacketBytes, c.limits.idleTimeout, c.limits.connectTimeout, c.limits.backendConnectTimeout,
                c.gate.maxWait, c.tls.backend);
    }
}
