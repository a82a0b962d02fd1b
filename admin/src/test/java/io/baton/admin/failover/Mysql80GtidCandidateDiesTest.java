package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 8.0.31, GTID: the candidate dies mid-failover. */
@WithSandbox(replicas = 2, flavor = "mysql80", mode = "gtid")
class Mysql80GtidCandidateDiesTest extends CandidateDiesScenarios {
}
