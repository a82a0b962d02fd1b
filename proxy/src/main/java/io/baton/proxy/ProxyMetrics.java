package io.baton.proxy;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The proxy's meters (Micrometer; served as Prometheus text by admin). Names follow Prometheus
 * conventions once rendered: {@code baton_client_sessions_opened_total}, ... Counters only on the
 * per-session path; nothing per query that would need a lock.
 */
public final class ProxyMetrics {
    private final MeterRegistry registry;
    private final Counter opened;
    private final Counter closed;
    private final Counter idleClosed;
    private final Counter backendConnects;
    private final Counter backendErrors;
    private final Map<String, Counter> refused = new ConcurrentHashMap<>();

    public ProxyMetrics(MeterRegistry registry, SessionRegistry sessions, Gate gate) {
        this.registry = registry;
        opened = Counter.builder("baton.client.sessions.opened").description("Client sessions accepted").register(registry);
        closed = Counter.builder("baton.client.sessions.closed").description("Client sessions ended").register(registry);
        idleClosed = Counter.builder("baton.client.sessions.idle.closed").description("Sessions closed after the idle timeout")
                .register(registry);
        backendConnects = Counter.builder("baton.backend.connects").description("Backend connections opened").register(registry);
        backendErrors = Counter.builder("baton.backend.errors").description("Backend connections that failed to open or broke")
                .register(registry);
        Gauge.builder("baton.client.sessions.open", sessions, SessionRegistry::open).description("Client sessions open now")
                .register(registry);
        Gauge.builder("baton.gate.closed", gate, g -> g.isOpen() ? 0 : 1).description("1 while the gate holds new statements")
                .register(registry);
        Gauge.builder("baton.gate.waiting", gate, Gate::waiting).description("Statements waiting at the gate").register(registry);
    }

    public static ProxyMetrics standalone(SessionRegistry sessions, Gate gate) {
        return new ProxyMetrics(new SimpleMeterRegistry(), sessions, gate);
    }

    public MeterRegistry registry() {
        return registry;
    }

    void opened() {
        opened.increment();
    }

    void closed() {
        closed.increment();
    }

    void idleClosed() {
        idleClosed.increment();
    }

    void backendConnected() {
        backendConnects.increment();
    }

    void backendError() {
        backendErrors.increment();
    }

    private final Map<String, Counter> migrations = new ConcurrentHashMap<>();

    void migration(boolean moved, String reason) {
        String key = (moved ? "moved" : "failed") + ":" + reason;
        migrations.computeIfAbsent(key, k -> Counter.builder("baton.migrations").tag("result", moved ? "moved" : "failed")
                .tag("reason", reason).description("Client sessions moved to another server, by result").register(registry))
                .increment();
    }

    public double migrations(boolean moved) {
        return migrations.entrySet().stream().filter(e -> e.getKey().startsWith(moved ? "moved" : "failed"))
                .mapToDouble(e -> e.getValue().count()).sum();
    }

    void refused(String reason) {
        refused.computeIfAbsent(reason, r -> Counter.builder("baton.client.sessions.refused").tag("reason", r)
                .description("Client sessions refused, by reason").register(registry)).increment();
    }

    public double refusedCount(String reason) {
        Counter c = refused.get(reason);
        return c == null ? 0 : c.count();
    }
}
