package io.baton.proxy.routing;

/** A MySQL server Baton can route to. */
public record Endpoint(String name, String host, int port) {
    public Endpoint {
        if (host == null || host.isBlank() || port <= 0 || port > 65535) {
            throw new IllegalArgumentException("bad endpoint " + name + " " + host + ":" + port);
        }
    }

    /** By hand: the pool looks its slots up by endpoint for every statement, and this allocates nothing. */
    @Override
    public int hashCode() {
        return (31 * java.util.Objects.hashCode(name) + host.hashCode()) * 31 + port;
    }

    @Override
    public boolean equals(Object o) {
        return o == this || o instanceof Endpoint e && port == e.port && host.equals(e.host)
                && java.util.Objects.equals(name, e.name);
    }

    public String address() {
        return host + ":" + port;
    }

    @Override
    public String toString() {
        return name + " (" + address() + ")";
    }
}
