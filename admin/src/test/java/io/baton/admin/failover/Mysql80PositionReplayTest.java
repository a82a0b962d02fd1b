package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 1, flavor = "mysql80", mode = "position")
class Mysql80PositionReplayTest extends ReplayScenarios {
}
