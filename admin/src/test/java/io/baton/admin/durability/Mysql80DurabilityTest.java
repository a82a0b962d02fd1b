package io.baton.admin.durability;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 8.0.31, GTID: the session tracker names each commit's GTID; WAIT_FOR_EXECUTED_GTID_SET acknowledges. */
@WithSandbox(replicas = 2, flavor = "mysql80", mode = "gtid")
class Mysql80DurabilityTest extends DurabilityScenarios {
    @Override
    int killRounds() {
        return 20;
    }
}
