package io.baton.admin.reads;

import io.baton.sandbox.junit.WithSandbox;

/** The read port on mysql57, GTID replication. */
@WithSandbox(replicas = 2, flavor = "mysql57", mode = "gtid")
class Mysql57ReadPortTest extends ReadPortScenarios {
}
