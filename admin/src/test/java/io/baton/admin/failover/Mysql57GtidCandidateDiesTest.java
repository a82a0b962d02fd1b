package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 5.7.22, GTID: the candidate dies mid-failover. */
@WithSandbox(replicas = 2, flavor = "mysql57", mode = "gtid")
class Mysql57GtidCandidateDiesTest extends CandidateDiesScenarios {
}
