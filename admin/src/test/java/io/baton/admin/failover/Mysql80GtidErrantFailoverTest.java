package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 8.0.31, GTID: errant transactions at failover. */
@WithSandbox(replicas = 2, flavor = "mysql80", mode = "gtid")
class Mysql80GtidErrantFailoverTest extends ErrantFailoverScenarios {
}
