package io.baton.admin.reads;

import io.baton.sandbox.junit.WithSandbox;

/** The read port on mysql80, GTID replication. */
@WithSandbox(replicas = 2, flavor = "mysql80", mode = "gtid")
class Mysql80ReadPortTest extends ReadPortScenarios {
}
