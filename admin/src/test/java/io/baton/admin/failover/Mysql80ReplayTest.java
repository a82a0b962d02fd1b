package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 1, flavor = "mysql80", mode = "gtid")
class Mysql80ReplayTest extends ReplayScenarios {
}
