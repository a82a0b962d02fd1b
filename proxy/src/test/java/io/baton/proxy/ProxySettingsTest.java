package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ProxySettingsTest {

    @Test
    void unconfiguredEventLoopsAreHalfTheCoresAndAtLeastOne() {
        assertEquals(1, ProxySettings.autoIoThreads(1));
        assertEquals(1, ProxySettings.autoIoThreads(2));
        assertEquals(1, ProxySettings.autoIoThreads(3));
        assertEquals(2, ProxySettings.autoIoThreads(4));
        assertEquals(8, ProxySettings.autoIoThreads(16));
    }

    @Test
    void aConfiguredNumberOfEventLoopsIsKept() {
        ProxySettings d = ProxySettings.defaults();
        assertEquals(ProxySettings.autoIoThreads(Runtime.getRuntime().availableProcessors()), d.effectiveIoThreads());
        ProxySettings three = new ProxySettings(d.host(), d.port(), 3, d.maxConnections(), d.maxPacketBytes(),
                d.idleTimeout(), d.connectTimeout(), d.backendConnectTimeout(), d.gateMaxWait(), d.backendTls());
        assertEquals(3, three.effectiveIoThreads());
    }
}
