package io.baton.sandbox;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 2, flavor = "mysql57", mode = "gtid")
class Mysql57GtidSandboxTest extends TopologyContract {
    @Override
    Flavor flavor() {
        return Flavor.MYSQL57;
    }

    @Override
    ReplicationMode mode() {
        return ReplicationMode.GTID;
    }
}
