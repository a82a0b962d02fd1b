package io.baton.sandbox;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 2, flavor = "mariadb", mode = "gtid")
class MariaDbGtidSandboxTest extends TopologyContract {
    @Override
    Flavor flavor() {
        return Flavor.MARIADB;
    }

    @Override
    ReplicationMode mode() {
        return ReplicationMode.GTID;
    }
}
