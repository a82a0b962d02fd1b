package io.baton.admin.failover;

import static org.junit.jupiter.api.Assertions.fail;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.Monitor;
import io.baton.proxy.routing.Endpoint;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import java.util.List;
import java.util.function.Consumer;

/**
 * A failover engine on a sandbox topology as a running Baton has it: a monitor checking every
 * server (automatic failover on), routing recorded instead of a proxy, reports in memory.
 */
final class EngineUnderTest implements AutoCloseable {
    final BatonConfig config;
    final Monitor monitor;
    final RecordingRoutingControl routing;
    final FailoverEngine engine;

    /** Starts it with the given server routed and elected; {@code tune} may change the configuration first. */
    EngineUnderTest(SandboxTopology t, String source, Consumer<BatonConfig> tune) {
        config = FailoverScenarios.config(t);
        tune.accept(config);
        TopologyFile.Server s = t.server(source);
        routing = new RecordingRoutingControl(new Endpoint(s.name(), s.host(), s.port()));
        monitor = new Monitor(config);
        engine = new FailoverEngine(config, monitor, routing, new ReportHistory());
        engine.start();
        monitor.start();
    }

    /** Waits (bounded) until the monitor has seen the server reachable: the engine then knows its executed set. */
    void awaitSeen(String server, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (monitor.snapshot().server(server).filter(s -> s.reachable()).isEmpty()) {
            if (System.currentTimeMillis() > deadline) {
                fail("the monitor did not see " + server + " within " + timeoutMillis + " ms");
            }
            Thread.sleep(20);
        }
    }

    /** Waits (bounded) until the engine has finished at least n procedures; returns them, oldest first. */
    List<FailoverReport> awaitReports(int n, long timeoutMillis) throws InterruptedException {
        long deadline = System.currentTimeMillis() + timeoutMillis;
        while (System.currentTimeMillis() < deadline) {
            List<FailoverReport> all = engine.reports().all();
            if (all.size() >= n && !engine.busy()) {
                List<FailoverReport> oldestFirst = new java.util.ArrayList<>(all);
                java.util.Collections.reverse(oldestFirst);
                return oldestFirst;
            }
            Thread.sleep(20);
        }
        fail("fewer than " + n + " procedure(s) finished within " + timeoutMillis + " ms: " + engine.reports().all());
        return null;
    }

    @Override
    public void close() {
        engine.close();
        monitor.close();
    }
}
