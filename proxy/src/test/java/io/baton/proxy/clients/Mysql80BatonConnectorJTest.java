package io.baton.proxy.clients;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 0, flavor = "mysql80")
class Mysql80BatonConnectorJTest extends ConnectorJContract {
    @Override
    boolean throughBaton() {
        return true;
    }
}
