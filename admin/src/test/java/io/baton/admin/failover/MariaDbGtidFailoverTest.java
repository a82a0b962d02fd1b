package io.baton.admin.failover;

import io.baton.sandbox.junit.WithSandbox;

/** MariaDB 10.11, GTID (slave_pos; no super_read_only), 1 source + 2 replicas. */
@WithSandbox(replicas = 2, flavor = "mariadb", mode = "gtid")
class MariaDbGtidFailoverTest extends FailoverScenarios {
}
