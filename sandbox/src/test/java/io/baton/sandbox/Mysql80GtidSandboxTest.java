package io.baton.sandbox;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 2, flavor = "mysql80", mode = "gtid")
class Mysql80GtidSandboxTest extends TopologyContract {
    @Override
    Flavor flavor() {
        return Flavor.MYSQL80;
    }

    @Override
    ReplicationMode mode() {
        return ReplicationMode.GTID;
    }
}
