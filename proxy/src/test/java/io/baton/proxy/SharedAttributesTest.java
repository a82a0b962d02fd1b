package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SharedAttributesTest {

    private static Map<String, String> attrs(String pid) {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("_client_name", "mysql-connector-java");
        m.put("_pid", pid);
        return m;
    }

    @Test
    void sessionsWithTheSameAttributesShareOneMap() {
        SharedAttributes shared = new SharedAttributes();
        Map<String, String> a = shared.of(attrs("17"));
        assertSame(a, shared.of(attrs("17")));
        assertEquals(attrs("17"), a);
        assertNotSame(a, shared.of(attrs("18")));
        assertThrows(UnsupportedOperationException.class, () -> a.put("x", "y"));
        assertNull(shared.of(null));
        assertTrue(shared.of(Map.of()).isEmpty());
        assertEquals(2, shared.size());
    }

    @Test
    void theTableIsBounded() {
        SharedAttributes shared = new SharedAttributes();
        for (int i = 0; i < SharedAttributes.MAX * 3; i++) {
            assertEquals(attrs(Integer.toString(i)), shared.of(attrs(Integer.toString(i))));
            assertTrue(shared.size() <= SharedAttributes.MAX);
        }
        Map<String, String> again = shared.of(attrs("x"));
        assertSame(again, shared.of(attrs("x")), "sharing goes on after the table started over");
    }
}
