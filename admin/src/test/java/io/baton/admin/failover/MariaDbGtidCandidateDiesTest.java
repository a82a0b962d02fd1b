package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MariaDB 10.11, GTID (slave_pos): the candidate dies mid-failover. */
@WithSandbox(replicas = 2, flavor = "mariadb", mode = "gtid")
class MariaDbGtidCandidateDiesTest extends CandidateDiesScenarios {
}
