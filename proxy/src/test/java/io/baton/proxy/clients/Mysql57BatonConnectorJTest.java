package io.baton.proxy.clients;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 0, flavor = "mysql57")
class Mysql57BatonConnectorJTest extends ConnectorJContract {
    @Override
    boolean throughBaton() {
        return true;
    }
}
