package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 8.0.31, binary log file/position (the manual's procedure with RESET MASTER), 1 source + 2 replicas. */
@WithSandbox(replicas = 2, flavor = "mysql80", mode = "position")
class Mysql80PositionFailoverTest extends FailoverScenarios {
}
