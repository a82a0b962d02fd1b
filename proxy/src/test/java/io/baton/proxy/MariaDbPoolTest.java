package io.baton.proxy;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 0, flavor = "mariadb")
class MariaDbPoolTest extends PoolScenarios {
}
