package io.baton.sandbox;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 2, flavor = "mysql80", mode = "position")
class Mysql80PositionSandboxTest extends TopologyContract {
    @Override
    Flavor flavor() {
        return Flavor.MYSQL80;
    }

    @Override
    ReplicationMode mode() {
        return ReplicationMode.POSITION;
    }
}
