package io.baton.proxy;

import io.baton.proxy.routing.Endpoint;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;

/** A Baton proxy in the test JVM, in front of a sandbox topology, on a free port. */
public final class BatonFixture implements AutoCloseable {
    private final ProxyServer proxy;

    private BatonFixture(ProxyServer proxy) {
        this.proxy = proxy;
    }

    public static BatonFixture start(SandboxTopology t) throws InterruptedException {
        return start(t, ProxySettings.defaults().withPort(0));
    }

    public static BatonFixture start(SandboxTopology t, ProxySettings settings) throws InterruptedException {
        UserDirectory users = new UserDirectory();
        for (String key : new String[] {"app", "app_sha2"}) {
            TopologyFile.User u = t.user(key);
            users.add(u.user(), u.password());
        }
        TopologyFile.Server src = t.initialSource();
        ProxyServer p = new ProxyServer(settings, users, new Endpoint(src.name(), src.host(), src.port()),
                TlsContexts.server(null, null), null);
        return new BatonFixture(p.start());
    }

    public ProxyServer proxy() {
        return proxy;
    }

    public int port() {
        return proxy.port();
    }

    @Override
    public void close() {
        proxy.close();
    }
}
