package io.baton.proxy;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 0, flavor = "mysql80")
class Mysql80PoolTest extends PoolScenarios {
}
