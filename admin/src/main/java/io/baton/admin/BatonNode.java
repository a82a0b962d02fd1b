package io.baton.admin;

import io.baton.admin.cluster.Cluster;
import io.baton.admin.durability.ReplicaAcks;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.console.ConsoleServer;
import io.baton.admin.failover.FailoverEngine;
import io.baton.admin.failover.ReportHistory;
import io.baton.admin.observe.MetricsServer;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.proxy.ProxyServer;
import io.baton.proxy.ProxySettings;
import io.baton.proxy.TlsContexts;
import io.baton.proxy.UserDirectory;
import io.baton.proxy.routing.Endpoint;
import io.micrometer.core.instrument.MeterRegistry;
import java.nio.file.Path;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running Baton: the proxy, the monitor watching the servers, and the failover engine that
 * drives the proxy's routing when the source changes. Started and stopped as one. With {@code cluster:}
 * in the configuration it is one node of a cluster ({@link Cluster}): it routes by the cluster's route
 * record, and its engine decides only while it leads.
 */
public final class BatonNode implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(BatonNode.class);

    private final BatonConfig config;
    private final ProxyServer proxy;
    private final Monitor monitor;
    private final FailoverEngine engine;
    private final Cluster cluster;
    private ReplicaAcks durability;
    private io.baton.admin.reads.LagSampler lags;
    private MetricsServer metricsServer;
    private ConsoleServer console;

    private BatonNode(BatonConfig config, ProxyServer proxy, Monitor monitor, FailoverEngine engine, Cluster cluster) {
        this.config = config;
        this.proxy = proxy;
        this.monitor = monitor;
        this.engine = engine;
        this.cluster = cluster;
    }

    /**
     * Starts Baton for a configuration: the monitor's first look decides the source (the writable
     * server that replicates from nobody; the config's role: source otherwise), then the proxy
     * listens and the engine follows the monitor.
     */
    public static BatonNode start(BatonConfig c, Path reportDir, MeterRegistry meters) throws InterruptedException {
        meters = MetricsServer.registry(meters); // Prometheus, served with health on metrics.host:metrics.port
        Monitor monitor = new Monitor(c);
        ProxyServer proxy = null;
        FailoverEngine engine = null;
        ConsoleServer console = null;
        Cluster cluster = null;
        MetricsServer metrics = null;
        ReplicaAcks acks = null;
        io.baton.admin.reads.LagSampler lags = null;
        try {
            TopologySnapshot first = monitor.refresh();
            BatonConfig.Server src = first.discoverSource()
                    .map(s -> c.server(s.name()))
                    .orElseGet(() -> c.servers.stream().filter(x -> "source".equals(x.role)).findFirst().orElse(c.servers.get(0)));
            for (ServerState s : first.servers()) {
                log.info("server {}", s.summary());
            }
            if (c.cluster != null) {
                // A cluster routes by its record: the first node writes what it discovered, the others follow.
                cluster = Cluster.join(c, src);
                src = c.server(cluster.route().source());
            }
            UserDirectory users = new UserDirectory();
            for (BatonConfig.User u : c.users) {
                if (u.passwordHash != null) {
                    users.addHashed(u.user, u.passwordHash);
                } else {
                    users.add(u.user, u.password);
                }
            }
            proxy = new ProxyServer(settings(c), users, new Endpoint(src.name, src.host, src.port),
                    c.tls.enabled ? TlsContexts.server(c.tls.certFile, c.tls.keyFile) : null, meters);
            if (cluster != null) {
                cluster.holdUntilJoined(proxy); // no statement is routed before the node has its lease
            }
            if (c.durability.replicaMode()) {
                ProxyServer routedBy = proxy;
                acks = new ReplicaAcks(c).routedBy(() -> {
                    Endpoint routedNow = routedBy.source();
                    return routedNow == null ? null : routedNow.name();
                }).start();
                acks.bind(meters);
                monitor.addListener(acks::forgetWhatAllHave);
                proxy.commitAcks(acks);
                if (cluster != null) {
                    cluster.fenceCommits(acks.released()); // before the node applies a record: it may carry a fence
                }
            }
            proxy.onSourceConnectionLost(monitor::checkSoon);
            proxy.start();
            if (c.proxy.readPort != 0 || c.proxy.splitReads) {
                ProxyServer routedBy = proxy;
                lags = new io.baton.admin.reads.LagSampler(c, monitor, routedBy::source, proxy.readPool()).bind(meters)
                        .start();
            }
            engine = new FailoverEngine(c, monitor, cluster == null ? proxy : cluster.routing(),
                    reportDir == null ? new ReportHistory() : new ReportHistory(reportDir));
            engine.ackedWrites(acks == null ? null : acks.released());
            if (cluster != null) {
                cluster.govern(engine, monitor);
            }
            engine.start();
            monitor.start();
            BatonNode node = new BatonNode(c, proxy, monitor, engine, cluster);
            node.durability = acks;
            node.lags = lags;
            console = ConsoleServer.start(node).orElse(null); // admin.host:admin.port; off without a password
            node.console = console;
            metrics = MetricsServer.start(c, node, meters);
            node.metricsServer = metrics;
            if (cluster != null) {
                cluster.start(proxy, monitor, engine, console == null ? null : c.admin.host + ":" + console.port(),
                        c.metrics.host + ":" + c.metrics.port, meters);
            }
            return node;
        } catch (RuntimeException | InterruptedException e) {
            // Nothing half-started stays behind: every port is released, the cluster left.
            if (metrics != null) {
                metrics.close();
            }
            if (console != null) {
                console.close();
            }
            if (engine != null) {
                engine.close();
            }
            if (cluster != null) {
                cluster.close();
            }
            if (proxy != null) {
                proxy.close();
            }
            if (acks != null) {
                acks.close();
            }
            if (lags != null) {
                lags.close();
            }
            monitor.close();
            throw e;
        }
    }

    public static ProxySettings settings(BatonConfig c) {
        return new ProxySettings(c.proxy.host, c.proxy.port, c.limits.ioThreads, c.limits.maxConnections,
                c.limits.maxPacketBytes, c.limits.idleTimeout, c.limits.connectTimeout, c.limits.backendConnectTimeout,
                c.gate.maxWait, c.tls.backend, new ProxySettings.Replay(c.replay.enabled, c.replay.maxBytes,
                c.replay.attempts), reads(c), new ProxySettings.Pool(c.pool.enabled, c.pool.maxPerServer,
                c.pool.idleTimeout, c.pool.releaseDelay, c.pool.maxWait, c.pool.loginReuse, c.pool.maxIdle,
                c.pool.idleTrim));
    }

    /** The proxy's read-port settings from reads: and proxy.readPort. */
    public static ProxySettings.Reads reads(BatonConfig c) {
        ProxySettings.Consistency level = ProxySettings.Consistency.of(c.reads.consistency);
        return new ProxySettings.Reads(c.proxy.readPort, c.reads.maxLag, !"error".equals(c.reads.fallback),
                level == null ? ProxySettings.Consistency.EVENTUAL : level, c.reads.causalTimeout,
                "gtid".equals(c.replication.mode), c.proxy.splitReads);
    }

    public BatonConfig config() {
        return config;
    }

    public ProxyServer proxy() {
        return proxy;
    }

    public Monitor monitor() {
        return monitor;
    }

    public FailoverEngine engine() {
        return engine;
    }

    /** What the failover engine drives: the proxy alone, or in a cluster every node through the route record. */
    public io.baton.proxy.routing.RoutingControl routing() {
        return cluster == null ? proxy : cluster.routing();
    }

    /** durability.mode replica: where commit OKs wait for the replicas; null in async mode. */
    public ReplicaAcks durability() {
        return durability;
    }

    /** This node's cluster, or null when Baton runs alone. */
    public Cluster cluster() {
        return cluster;
    }

    /** Replica lags for the read port; null without one. */
    public io.baton.admin.reads.LagSampler lags() {
        return lags;
    }

    /** The metrics and health HTTP endpoint. */
    public MetricsServer metricsServer() {
        return metricsServer;
    }

    /** The admin console, or null when it is off (admin.enabled false, or no password configured). */
    public ConsoleServer console() {
        return console;
    }

    @Override
    public void close() {
        // The engine first: it lets a running procedure finish, also one an operator started from the console.
        engine.close();
        if (cluster != null) {
            cluster.close(); // leaves the election and the membership at once: another node takes over
        }
        if (console != null) {
            console.close();
        }
        if (metricsServer != null) {
            metricsServer.close();
        }
        if (lags != null) {
            lags.close();
        }
        monitor.close();
        proxy.close();
        if (durability != null) {
            durability.close();
        }
    }
}
