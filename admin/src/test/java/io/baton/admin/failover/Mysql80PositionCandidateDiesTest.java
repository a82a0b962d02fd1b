package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 8.0.31, binary log file/position: the candidate dies mid-failover. */
@WithSandbox(replicas = 2, flavor = "mysql80", mode = "position")
class Mysql80PositionCandidateDiesTest extends CandidateDiesScenarios {
}
