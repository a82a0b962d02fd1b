package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 8.0.31, binary log file/position: failover to a requested replica that is behind another. */
@WithSandbox(replicas = 2, flavor = "mysql80", mode = "position")
class Mysql80PositionRequestedCandidateTest extends RequestedCandidateScenarios {
}
