package io.baton.admin.failover;

import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/** A RoutingControl for tests: records every call (the proxy is not part of these tests). */
final class RecordingRoutingControl implements RoutingControl {
    final List<String> calls = new CopyOnWriteArrayList<>();
    private volatile Endpoint source;
    private volatile boolean open = true;

    RecordingRoutingControl(Endpoint source) {
        this.source = source;
    }

    @Override
    public Endpoint source() {
        return source;
    }

    @Override
    public void closeGate(String reason) {
        open = false;
        calls.add("closeGate");
    }

    @Override
    public void openGate() {
        open = true;
        calls.add("openGate");
    }

    @Override
    public boolean isGateOpen() {
        return open;
    }

    @Override
    public MigrationSummary switchTo(Endpoint newSource, Duration timeout) {
        source = newSource;
        calls.add("switchTo " + newSource.name());
        return new MigrationSummary(0, 0, 0);
    }

    @Override
    public boolean awaitNoOpenTransactions(Duration timeout) {
        calls.add("awaitNoOpenTransactions");
        return true;
    }
}
