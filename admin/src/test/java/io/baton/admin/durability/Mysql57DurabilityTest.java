package io.baton.admin.durability;

import io.baton.sandbox.junit.WithSandbox;

/** MySQL 5.7, GTID: session_track_gtids exists there too; the replicas answer WAIT_FOR_EXECUTED_GTID_SET. */
@WithSandbox(replicas = 2, flavor = "mysql57", mode = "gtid")
class Mysql57DurabilityTest extends DurabilityScenarios {
    @Override
    int killRounds() {
        return 3;
    }
}
