package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 1, flavor = "mariadb", mode = "gtid")
class MariaDbReplayTest extends ReplayScenarios {
}
