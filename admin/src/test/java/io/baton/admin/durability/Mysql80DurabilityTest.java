package io.baton.admin.durability;

import io.baton.sandbox.junit.WithSandbox;

/**
 * MySQL 8.0.31, GTID, performance_schema on (as MySQL runs by default): the session tracker names each commit's GTID;
 * a replica acknowledges what it received (its RECEIVED_TRANSACTION_SET). 5.7 and MariaDB run without
 * performance_schema: there a replica acknowledges what it executed.
 */
@WithSandbox(replicas = 2, flavor = "mysql80", mode = "gtid", performanceSchema = true)
class Mysql80DurabilityTest extends DurabilityScenarios {
    @Override
    int killRounds() {
        return 20;
    }

    @Override
    boolean acknowledgesReceipt() {
        return true;
    }
}
