package io.baton.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

class LoopbackPortsTest {

    /**
     * A node takes four ports before it binds any: a port handed out twice made a test's config refuse itself
     * ("proxy.readPort … is already the proxy, admin or metrics port"). The kernel offers a closed port again.
     */
    @Test
    void anyNeverHandsOutAPortTwiceInARow() {
        Set<Integer> seen = new HashSet<>();
        for (int i = 0; i < 2_000; i++) {
            int p = LoopbackPorts.any();
            assertTrue(p > 0 && p < 65536, "a port: " + p);
            assertTrue(seen.add(p), "port " + p + " handed out again after " + i + " others");
        }
        assertEquals(2_000, seen.size());
    }
}
