package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 5.7.22 (SLAVE/MASTER statements), GTID, 1 source + 2 replicas. */
@WithSandbox(replicas = 2, flavor = "mysql57", mode = "gtid")
class Mysql57GtidFailoverTest extends FailoverScenarios {
}
