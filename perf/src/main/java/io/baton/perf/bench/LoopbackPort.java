package io.baton.perf.bench;

import io.baton.sandbox.LoopbackPorts;

/** Free ports on 127.0.0.1, and whether something listens on one (checked by binding, never by connecting). */
final class LoopbackPort {
    static final String HOST = LoopbackPorts.HOST;

    private LoopbackPort() {
    }

    /** A port the kernel considers free right now. */
    static int free() {
        return LoopbackPorts.any();
    }

    /**
     * True when the port cannot be bound, i.e. a listener holds it. Connecting instead would open a
     * backend connection through a proxy and leave an aborted handshake on the server.
     */
    static boolean isListening(int port) {
        return !LoopbackPorts.isFree(port);
    }
}
