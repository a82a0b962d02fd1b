package io.baton.admin.reads;

import io.baton.sandbox.junit.WithSandbox;

/** The read port on mariadb, GTID replication. */
@WithSandbox(replicas = 2, flavor = "mariadb", mode = "gtid")
class MariaDbReadPortTest extends ReadPortScenarios {
}
