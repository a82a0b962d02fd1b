package io.baton.proxy;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 0, flavor = "mysql57")
class Mysql57PoolTest extends PoolScenarios {
}
