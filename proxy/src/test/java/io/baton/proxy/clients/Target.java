package io.baton.proxy.clients;

import io.baton.proxy.BatonFixture;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;

/** Where a client test connects: straight to the source, or through Baton. */
public final class Target implements AutoCloseable {
    private final SandboxTopology topology;
    private final BatonFixture baton;

    private Target(SandboxTopology topology, BatonFixture baton) {
        this.topology = topology;
        this.baton = baton;
    }

    public static Target direct(SandboxTopology t) {
        return new Target(t, null);
    }

    public static Target throughBaton(SandboxTopology t) throws InterruptedException {
        return new Target(t, BatonFixture.start(t));
    }

    public boolean isBaton() {
        return baton != null;
    }

    public BatonFixture baton() {
        return baton;
    }

    public SandboxTopology topology() {
        return topology;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return baton != null ? baton.port() : topology.initialSource().port();
    }

    public TopologyFile.User user(String key) {
        return topology.user(key);
    }

    public String flavor() {
        return topology.file().flavor();
    }

    @Override
    public void close() {
        if (baton != null) {
            baton.close();
        }
    }

    @Override
    public String toString() {
        return (isBaton() ? "through Baton" : "direct") + " (" + flavor() + ")";
    }
}
