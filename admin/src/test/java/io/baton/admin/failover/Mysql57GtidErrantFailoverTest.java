package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 5.7.22, GTID: errant transactions at failover. */
@WithSandbox(replicas = 2, flavor = "mysql57", mode = "gtid")
class Mysql57GtidErrantFailoverTest extends ErrantFailoverScenarios {
}
