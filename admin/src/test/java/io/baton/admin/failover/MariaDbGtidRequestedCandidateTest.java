package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MariaDB 10.11, GTID: failover to a requested replica that is behind another. */
@WithSandbox(replicas = 2, flavor = "mariadb", mode = "gtid")
class MariaDbGtidRequestedCandidateTest extends RequestedCandidateScenarios {
}
