package io.baton.perf.bench;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/** Free ports on 127.0.0.1, and whether something listens on one (checked by binding, never by connecting). */
final class LoopbackPort {
    static final String HOST = "127.0.0.1";

    private LoopbackPort() {
    }

    /** A port the kernel considers free right now. */
    static int free() {
        return io.baton.sandbox.Sandbox.freeLoopbackPort();
    }

    /**
     * True when the port cannot be bound, i.e. a listener holds it. Connecting instead would open a
     * backend connection through a proxy and leave an aborted handshake on the server.
     */
    static boolean isListening(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
            return false;
        } catch (IOException e) {
            return true;
        }
    }
}
