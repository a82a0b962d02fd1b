package io.baton.proxy.clients;

import io.baton.sandbox.junit.WithSandbox;

@WithSandbox(replicas = 0, flavor = "mariadb")
class MariaDbDirectConnectorJTest extends ConnectorJContract {
    @Override
    boolean throughBaton() {
        return false;
    }
}
