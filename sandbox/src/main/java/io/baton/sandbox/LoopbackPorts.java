package io.baton.sandbox;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;

/**
 * Ports on 127.0.0.1 for the servers the sandbox starts. Free means bindable right now: checked by
 * binding (with SO_REUSEADDR, as the servers bind), never by connecting to whatever might listen.
 */
public final class LoopbackPorts {
    /** Every server the sandbox starts listens here only. */
    public static final String HOST = "127.0.0.1";

    private LoopbackPorts() {
    }

    public static boolean isFree(int port) {
        try (ServerSocket s = new ServerSocket()) {
            s.setReuseAddress(true);
            s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    /** Throws an operator message naming the port and what to do ({@code what}) when it is taken. */
    public static void requireFree(int port, String what) {
        if (!isFree(port)) {
            throw new SandboxException("port " + port + " on " + HOST + " is in use; " + what);
        }
    }

    /**
     * The first {@code count} free ports from {@code first} upwards. A caller that restarts servers
     * on their ports picks {@code first} below the kernel's ephemeral range (32768+ on Linux): there
     * no outgoing connection can take a port while its server is down.
     */
    public static int[] freeFrom(int first, int count) {
        int[] ports = new int[count];
        int found = 0;
        for (int p = first; p < 65535 && found < count; p++) {
            if (isFree(p)) {
                ports[found++] = p;
            }
        }
        if (found < count) {
            throw new SandboxException("no " + count + " free loopback ports above " + first);
        }
        return ports;
    }

    /** Ports {@link #any()} handed out lately, oldest first: the kernel may offer a port again once it is closed. */
    private static final java.util.ArrayDeque<Integer> RECENT = new java.util.ArrayDeque<>();
    private static final int RECENT_MAX = 4096;

    /**
     * A port the kernel considers free right now (for proxies, consoles and tests), and not one this process was
     * given lately: callers take several before binding any (proxy, read, admin and metrics port of one node).
     */
    public static synchronized int any() {
        for (int attempt = 0; attempt < 64; attempt++) {
            int port;
            try (ServerSocket s = new ServerSocket()) {
                s.setReuseAddress(true);
                s.bind(new InetSocketAddress(InetAddress.getByName(HOST), 0));
                port = s.getLocalPort();
            } catch (IOException e) {
                throw new SandboxException("no free loopback port: " + e.getMessage(), e);
            }
            if (!RECENT.contains(port)) {
                RECENT.addLast(port);
                if (RECENT.size() > RECENT_MAX) {
                    RECENT.removeFirst();
                }
                return port;
            }
        }
        throw new SandboxException("no free loopback port that was not handed out lately");
    }
}
