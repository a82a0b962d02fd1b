package io.baton.admin.durability;

import io.baton.sandbox.junit.WithSandbox;

/** MariaDB, GTID: each commit's GTID comes as the tracked variable last_gtid; MASTER_GTID_WAIT acknowledges. */
@WithSandbox(replicas = 2, flavor = "mariadb", mode = "gtid")
class MariaDbDurabilityTest extends DurabilityScenarios {
    @Override
    int killRounds() {
        return 5; // fast rounds; a false acknowledgement here once came from matching sequence numbers only
    }
}
