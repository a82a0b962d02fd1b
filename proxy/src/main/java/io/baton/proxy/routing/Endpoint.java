package io.baton.proxy.routing;

/** A MySQL server Baton can route to. */
public record Endpoint(String name, String host, int port) {
    public Endpoint {
        if (host == null || host.isBlank() || port <= 0 || port > 65535) {
            throw new IllegalArgumentException("bad endpoint " + name + " " + host + ":" + port);
        }
    }

    public String address() {
        return host + ":" + port;
    }

    @Override
    public String toString() {
        return name + " (" + address() + ")";
    }
}
