package io.baton.proxy.clients;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 0, flavor = "mysql57")
class Mysql57DirectConnectorJTest extends ConnectorJContract {
    @Override
    boolean throughBaton() {
        return false;
    }
}
