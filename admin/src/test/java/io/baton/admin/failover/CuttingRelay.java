package io.baton.admin.failover;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP relay on loopback in front of one server that loses one answer: the first time a client sends
 * a statement containing {@code pattern}, the statement reaches the server, its answer is dropped and
 * that connection is closed. The client cannot tell whether the statement ran (it did). Later
 * connections pass as they are.
 */
final class CuttingRelay implements AutoCloseable {
    private final ServerSocket listener;
    private final int targetPort;
    private final byte[] pattern;
    private final AtomicBoolean cut = new AtomicBoolean();
    private final Set<Socket> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;

    CuttingRelay(int targetPort, String pattern) throws IOException {
        this.targetPort = targetPort;
        this.pattern = pattern.getBytes(StandardCharsets.US_ASCII);
        this.listener = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        Thread t = new Thread(this::accept, "cutting-relay-" + targetPort);
        t.setDaemon(true);
        t.start();
    }

    int port() {
        return listener.getLocalPort();
    }

    /** Whether the answer was dropped. */
    boolean cut() {
        return cut.get();
    }

    private void accept() {
        while (!closed) {
            try {
                Socket client = listener.accept();
                Socket server;
                try {
                    server = new Socket(InetAddress.getLoopbackAddress(), targetPort);
                } catch (IOException refused) {
                    client.close();
                    continue;
                }
                open.add(client);
                open.add(server);
                AtomicBoolean deaf = new AtomicBoolean();
                pump(client, server, deaf, true);
                pump(server, client, deaf, false);
            } catch (IOException e) {
                if (closed) {
                    return;
                }
            }
        }
    }

    private void pump(Socket from, Socket to, AtomicBoolean deaf, boolean toServer) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[65536];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (!toServer && deaf.get()) {
                        continue; // the answer is lost
                    }
                    boolean cutHere = toServer && contains(buf, n) && cut.compareAndSet(false, true);
                    if (cutHere) {
                        deaf.set(true); // before the statement goes: its answer must not slip through
                    }
                    out.write(buf, 0, n);
                    out.flush();
                    if (cutHere) {
                        Thread.sleep(300); // the server runs it meanwhile; then the client sees the connection end
                        close(from);
                        close(to);
                        return;
                    }
                }
            } catch (IOException | InterruptedException e) {
                // either side closed
            } finally {
                close(from);
                close(to);
            }
        }, "cutting-relay-pump");
        t.setDaemon(true);
        t.start();
    }

    private boolean contains(byte[] buf, int n) {
        outer:
        for (int i = 0; i + pattern.length <= n; i++) {
            for (int k = 0; k < pattern.length; k++) {
                if (buf[i + k] != pattern[k]) {
                    continue outer;
                }
            }
            return true;
        }
        return false;
    }

    private void close(Socket s) {
        open.remove(s);
        try {
            s.close();
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException ignored) {
            // closing
        }
        open.forEach(this::close);
    }
}
