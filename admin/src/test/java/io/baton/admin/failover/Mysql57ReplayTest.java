package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 1, flavor = "mysql57", mode = "gtid")
class Mysql57ReplayTest extends ReplayScenarios {
}
