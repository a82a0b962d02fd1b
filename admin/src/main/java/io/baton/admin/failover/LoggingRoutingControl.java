package io.baton.admin.failover;

import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The routing port of a process without a proxy (the CLI): there are no sessions to hold or move,
 * so each call is only logged. Applications that connect to the servers directly must be pointed
 * at the new source by other means (the post-hook).
 */
public final class LoggingRoutingControl implements RoutingControl {
    private static final Logger log = LoggerFactory.getLogger(LoggingRoutingControl.class);
    private volatile Endpoint source;
    private volatile boolean open = true;

    public LoggingRoutingControl(Endpoint initialSource) {
        this.source = initialSource;
    }

    @Override
    public Endpoint source() {
        return source;
    }

    @Override
    public void closeGate(String reason) {
        open = false;
        log.info("no proxy in this process: gate 'closed' ({})", reason);
    }

    @Override
    public void openGate() {
        open = true;
        log.info("no proxy in this process: gate 'opened'");
    }

    @Override
    public boolean isGateOpen() {
        return open;
    }

    @Override
    public MigrationSummary switchTo(Endpoint newSource, Duration timeout) {
        source = newSource;
        log.info("no proxy in this process: route to {}", newSource);
        return new MigrationSummary(0, 0, 0);
    }

    @Override
    public boolean awaitNoOpenTransactions(Duration timeout) {
        return true;
    }
}
