package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.proxy.routing.Endpoint;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The SET that brings a connection to a session's variables, and the checks it writes names and values by. */
class SessionReplayTest {

    @Test
    void numbersGoUnquotedEverythingElseQuoted() {
        for (String n : new String[] {"0", "42", "-1", "1.5", "-0.25", "18446744073709551615"}) {
            assertTrue(SessionReplay.number(n), n);
        }
        for (String s : new String[] {"", "-", "1.", ".5", "1e3", "1.2.3", "--1", "+1", "1 ", "0x1F", "ON", "١٢"}) {
            assertFalse(SessionReplay.number(s), s);
        }
    }

    @Test
    void theSetNamesPlainVariablesOnly() {
        Map<String, String> v = new LinkedHashMap<>();
        v.put("SQL_MODE", "ANSI_QUOTES");
        v.put("group_concat_max_len", "2048");
        v.put("time_zone", "-05:00");
        v.put("character_set_results", "");
        v.put("session_track_gtids", "OWN_GTID"); // Baton's own: never replayed
        v.put("bad-name", "1"); // not a variable name Baton writes into SQL
        v.put("lc_messages", "it's");
        assertEquals("SET SESSION sql_mode = 'ANSI_QUOTES', group_concat_max_len = 2048, time_zone = '-05:00',"
                + " character_set_results = NULL, lc_messages = 'it''s'", SessionReplay.setStatement(v));
        assertNull(SessionReplay.setStatement(Map.of("session_track_schema", "ON")));
        assertTrue(SessionReplay.replayed("autocommit"));
        assertFalse(SessionReplay.replayed("Autocommit"));
        assertFalse(SessionReplay.replayed(""));
        assertFalse(SessionReplay.replayed("x;DROP"));
    }

    @Test
    void endpointsAreEqualByNameHostAndPort() {
        Endpoint a = new Endpoint("db1", "127.0.0.1", 3306);
        assertEquals(a, new Endpoint("db1", "127.0.0.1", 3306));
        assertEquals(a.hashCode(), new Endpoint("db1", "127.0.0.1", 3306).hashCode());
        assertNotEquals(a, new Endpoint("db2", "127.0.0.1", 3306));
        assertNotEquals(a, new Endpoint("db1", "127.0.0.2", 3306));
        assertNotEquals(a, new Endpoint("db1", "127.0.0.1", 3307));
        assertEquals(new Endpoint(null, "h", 1), new Endpoint(null, "h", 1));
        assertNotEquals(new Endpoint(null, "h", 1), a);
        assertEquals(1, Map.of(a, 1).get(new Endpoint("db1", "127.0.0.1", 3306)));
    }
}
