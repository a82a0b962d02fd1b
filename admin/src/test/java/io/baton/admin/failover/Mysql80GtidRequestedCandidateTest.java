package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 8.0.31, GTID: failover to a requested replica that is behind another. */
@WithSandbox(replicas = 2, flavor = "mysql80", mode = "gtid")
class Mysql80GtidRequestedCandidateTest extends RequestedCandidateScenarios {
}
