package io.baton.admin.observe;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.core.instrument.composite.CompositeMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Baton's HTTP endpoint on {@code metrics.host:metrics.port} (default 127.0.0.1:9033), for
 * Prometheus, load balancers and Kubernetes probes:
 *
 * <ul>
 *   <li>{@code GET /metrics}: every meter as Prometheus text (format 0.0.4);</li>
 *   <li>{@code GET /health/live}: 200 while the process runs;</li>
 *   <li>{@code GET /health/ready}: 200 while a writable source is routed and the gate is open, 503
 *       otherwise; both with a short JSON body ({@code {"status":"not ready","reason":...}}).</li>
 * </ul>
 *
 * The JDK's HTTP server on two threads with a short queue: a scrape storm slows itself down (the
 * accepting thread runs what the queue cannot hold) and never touches the proxy's event loops.
 */
public final class MetricsServer implements AutoCloseable {
    private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);
    static final String PROMETHEUS_TEXT = "text/plain; version=0.0.4; charset=utf-8";
    private static final String JSON_TYPE = "application/json";
    private static final ObjectMapper JSON = new ObjectMapper();

    private final HttpServer http;
    private final ThreadPoolExecutor executor;
    private final JvmGcMetrics gc;

    private MetricsServer(HttpServer http, ThreadPoolExecutor executor, JvmGcMetrics gc) {
        this.http = http;
        this.executor = executor;
        this.gc = gc;
    }

    /**
     * The registry Baton's meters go to: {@code given} when it is (or holds) a Prometheus registry;
     * a new Prometheus registry otherwise, alongside {@code given} when there is one.
     */
    public static MeterRegistry registry(MeterRegistry given) {
        if (prometheus(given) != null) {
            return given;
        }
        PrometheusMeterRegistry prom = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        return given == null ? prom : new CompositeMeterRegistry().add(prom).add(given);
    }

    private static PrometheusMeterRegistry prometheus(MeterRegistry r) {
        if (r instanceof PrometheusMeterRegistry p) {
            return p;
        }
        if (r instanceof CompositeMeterRegistry c) {
            return c.getRegistries().stream().filter(PrometheusMeterRegistry.class::isInstance)
                    .map(PrometheusMeterRegistry.class::cast).findFirst().orElse(null);
        }
        return null;
    }

    /** Binds the node's meters and starts serving; throws IllegalStateException when the port is taken. */
    public static MetricsServer start(BatonConfig c, BatonNode node, MeterRegistry registry) {
        PrometheusMeterRegistry prom = prometheus(registry);
        if (prom == null) {
            throw new IllegalArgumentException("the node's registry holds no Prometheus registry; use MetricsServer.registry");
        }
        NodeMeters meters = new NodeMeters(registry, c, node.monitor(), node.engine().reports());
        Readiness readiness = new Readiness(c, node.proxy(), node.proxy().gate(), node.monitor());
        HttpServer http;
        try {
            http = HttpServer.create(new InetSocketAddress(c.metrics.host, c.metrics.port), 32);
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + c.metrics.host + ":" + c.metrics.port
                    + " for metrics and health: " + e.getMessage()
                    + " (is another process using the port? choose another with --metrics-port)", e);
        }
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(2, 2, 30, TimeUnit.SECONDS, new ArrayBlockingQueue<>(16), r -> {
            Thread t = new Thread(r, "baton-http-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }, new ThreadPoolExecutor.CallerRunsPolicy());
        executor.allowCoreThreadTimeOut(true);
        http.setExecutor(executor);
        io.baton.admin.durability.ReplicaAcks durability = node.durability();
        io.baton.admin.reads.LagSampler lags = node.lags();
        http.createContext("/", ex -> serve(ex, prom, meters, readiness, durability, lags));
        // The process itself: jvm_memory_*, jvm_gc_*, jvm_threads_*, process_cpu_usage, process_uptime_seconds.
        new JvmMemoryMetrics().bindTo(registry);
        new JvmThreadMetrics().bindTo(registry);
        new ProcessorMetrics().bindTo(registry);
        new UptimeMetrics().bindTo(registry);
        JvmGcMetrics gc = new JvmGcMetrics();
        gc.bindTo(registry);
        http.start();
        log.info("metrics and health on http://{}:{} (/metrics, /health/live, /health/ready)", c.metrics.host,
                http.getAddress().getPort());
        return new MetricsServer(http, executor, gc);
    }

    private static void serve(HttpExchange ex, PrometheusMeterRegistry prom, NodeMeters meters, Readiness readiness,
                              io.baton.admin.durability.ReplicaAcks durability,
                              io.baton.admin.reads.LagSampler lags)
            throws IOException {
        try (ex) {
            String method = ex.getRequestMethod();
            if (!"GET".equals(method) && !"HEAD".equals(method)) {
                ex.getResponseHeaders().set("Allow", "GET, HEAD");
                reply(ex, 405, JSON_TYPE, json(Map.of("error", "only GET and HEAD")));
                return;
            }
            switch (ex.getRequestURI().getPath()) {
                case "/metrics" -> {
                    meters.recordFinishedProcedures();
                    reply(ex, 200, PROMETHEUS_TEXT, prom.scrape());
                }
                case "/health/live" -> reply(ex, 200, JSON_TYPE, json(Map.of("status", "live")));
                case "/health/ready" -> {
                    Readiness.Status s = readiness.check();
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("status", s.ready() ? "ready" : "not ready");
                    if (s.reason() != null) {
                        body.put("reason", s.reason());
                    }
                    body.put("source", s.source());
                    if (durability != null) {
                        // A flag, not a reason to take the node out of a load balancer: writes still flow.
                        body.put("durability", durability.status());
                    }
                    if (lags != null) {
                        // The read port's replicas: lag in ms (-1 unknown) and whether each may serve reads now.
                        Map<String, Object> replicas = new LinkedHashMap<>();
                        for (io.baton.admin.reads.LagSampler.Lag l : lags.lags()) {
                            if (!"source".equals(l.note())) {
                                replicas.put(l.server(), Map.of("lagMs", l.lagMillis(), "healthy", l.healthy()));
                            }
                        }
                        body.put("replicas", replicas);
                    }
                    reply(ex, s.ready() ? 200 : 503, JSON_TYPE, json(body));
                }
                default -> reply(ex, 404, JSON_TYPE, json(Map.of("error", "not found; try /metrics, /health/live or /health/ready")));
            }
        } catch (RuntimeException e) {
            log.warn("metrics endpoint: {} failed: {}", ex.getRequestURI().getPath(), e.toString());
            throw e;
        }
    }

    private static void reply(HttpExchange ex, int status, String type, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", type);
        ex.getResponseHeaders().set("Cache-Control", "no-store");
        boolean head = "HEAD".equals(ex.getRequestMethod());
        ex.sendResponseHeaders(status, head ? -1 : bytes.length);
        if (!head) {
            try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    private static String json(Map<String, ?> body) {
        try {
            return JSON.writeValueAsString(body) + "\n";
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The bound port (useful when metrics.port is taken from a free-port probe). */
    public int port() {
        return http.getAddress().getPort();
    }

    /** Stops answering at once (a load balancer sees the endpoint go away before the proxy stops). */
    @Override
    public void close() {
        http.stop(0);
        executor.shutdownNow();
        gc.close();
    }
}
