package io.baton.admin.observe;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ServerState;
import io.baton.admin.topology.TopologySnapshot;
import io.baton.proxy.Gate;
import io.baton.proxy.routing.Endpoint;
import io.baton.proxy.routing.RoutingControl;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * Whether Baton can take traffic now ({@code /health/ready}): a source is routed, the monitor's
 * latest look (recent enough) says it is reachable and writable, and the gate is open. During a
 * failover or a PAUSE the gate is closed, so a load balancer holds new connections elsewhere.
 */
final class Readiness {

    /** The answer, with the reason when not ready and the routed source's name (null if none). */
    record Status(boolean ready, String reason, String source) {
    }

    private final RoutingControl routing;
    private final Gate gate;
    private final Monitor monitor;
    private final Duration staleAfter;

    Readiness(BatonConfig config, RoutingControl routing, Gate gate, Monitor monitor) {
        this.routing = routing;
        this.gate = gate;
        this.monitor = monitor;
        // A few missed rounds (each bounded by the connect and query timeouts) before the view is too old to vouch for.
        Duration round = config.monitor.interval.plus(config.monitor.connectTimeout).plus(config.monitor.queryTimeout);
        Duration three = round.multipliedBy(3);
        this.staleAfter = three.compareTo(Duration.ofSeconds(10)) > 0 ? three : Duration.ofSeconds(10);
    }

    Status check() {
        Endpoint ep = routing.source();
        if (ep == null) {
            return new Status(false, "no source is routed", null);
        }
        if (!routing.isGateOpen()) {
            String why = gate == null || gate.reason().isEmpty() ? "" : ": " + gate.reason();
            return new Status(false, "the gate is closed" + why, ep.name());
        }
        TopologySnapshot snap = monitor.snapshot();
        Duration age = Duration.between(snap.takenAt(), Instant.now());
        if (age.compareTo(staleAfter) > 0) {
            return new Status(false, "the monitor's last look at the servers is " + age.toMillis() + " ms old", ep.name());
        }
        Optional<ServerState> s = snap.byAddress(ep.host(), ep.port()).or(() -> snap.server(ep.name()));
        if (s.isEmpty()) {
            return new Status(false, "the monitor has not checked the routed source " + ep.name() + " yet", ep.name());
        }
        ServerState st = s.get();
        if (!st.reachable()) {
            return new Status(false, "the routed source " + ep.name() + " is unreachable", ep.name());
        }
        if (!st.writable()) {
            return new Status(false, "the routed source " + ep.name() + " is read-only", ep.name());
        }
        return new Status(true, null, ep.name());
    }
}
