package io.baton.admin.node;

import io.baton.admin.config.BatonConfig;
import io.baton.sandbox.Sandbox;
import io.baton.sandbox.SandboxTopology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The configuration a test's Baton runs with: the sandbox's baton.yml, on free ports, no anti-flapping pause. */
public final class TestNodes {
    private TestNodes() {
    }

    public static BatonConfig config(SandboxTopology t) throws IOException {
        BatonConfig c = BatonConfig.load(Path.of(t.file().config()));
        // Every running Baton binds its proxy, console and metrics ports: none may be a default.
        c.proxy.port = Sandbox.freeLoopbackPort();
        if (c.proxy.readPort != 0) {
            c.proxy.readPort = Sandbox.freeLoopbackPort();
        }
        c.admin.port = Sandbox.freeLoopbackPort();
        c.metrics.port = Sandbox.freeLoopbackPort();
        c.failover.blockSeconds = 0;
        c.failover.reportDir = Files.createTempDirectory("baton-reports").toString();
        return c;
    }
}
