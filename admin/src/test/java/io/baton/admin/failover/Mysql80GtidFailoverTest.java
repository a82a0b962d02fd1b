package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 8.0.31, GTID auto-positioning, 1 source + 3 replicas (one of them down during the failover). */
@WithSandbox(replicas = 3, flavor = "mysql80", mode = "gtid")
class Mysql80GtidFailoverTest extends FailoverScenarios {
}
