package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 8.0.31, GTID: a crash failover stopped after the promotion, at each later step. */
@WithSandbox(replicas = 2, flavor = "mysql80", mode = "gtid")
class Mysql80GtidPartialFailoverTest extends PartialFailoverScenarios {
}
