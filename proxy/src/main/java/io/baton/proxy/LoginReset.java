package io.baton.proxy;

import io.baton.protocol.Collations;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * What a login that takes an idle pooled connection (docs/pool.md) runs first, so that the connection is as a new
 * server login would leave it: every session variable its last session changed set back, and LAST_INSERT_ID() 0.
 */
final class LoginReset {
    /** Set from the login's character set when a connection's last session changed any of them. */
    private static final Set<String> CHARSET_VARIABLES = Set.of("character_set_client", "character_set_connection",
            "character_set_results", "collation_connection");

    /** What Baton sets ON for a read-only port's session at its server login (MariaDB before 11.1: tx_read_only). */
    private static final Set<String> READ_ONLY_VARIABLES = Set.of("transaction_read_only", "tx_read_only");

    private LoginReset() {
    }

    /**
     * Whether the variables {@code changed} by a connection's last session can be set back for a login with collation
     * {@code charset}: each to {@code DEFAULT} (the global value, which a login starts with) or, for the character set
     * variables, to the login's collation. Variables that follow the schema (character_set_database,
     * collation_database) cannot be set back so, nor names Baton does not replay.
     */
    static boolean possible(List<String> changed, int charset) {
        for (String v : changed) {
            if (!SessionReplay.replayed(v) || v.equals("character_set_database") || v.equals("collation_database")
                    || (CHARSET_VARIABLES.contains(v) && Collations.byId(charset).isEmpty())) {
                return false;
            }
        }
        return true;
    }

    /**
     * The one statement that brings {@code b} to a new login's state (with collation {@code charset}), or null when
     * nothing is to do. Only for a connection {@link #possible} accepts.
     */
    static String statement(BackendConnection b, int charset, boolean interactive) {
        return statement(b.parkedVariables, b.lastInsertId, charset, b.readOnly(), interactive);
    }

    /**
     * {@code readOnly}: a read-only port's connection, read-only for its session whatever its last session set;
     * {@code interactive}: the login has CLIENT_INTERACTIVE, so its wait_timeout starts at interactive_timeout.
     */
    static String statement(List<String> changed, long lastInsertId, int charset, boolean readOnly,
                            boolean interactive) {
        List<String> set = new ArrayList<>();
        boolean names = false;
        for (String v : changed) {
            if (CHARSET_VARIABLES.contains(v)) {
                names = true;
            } else if (READ_ONLY_VARIABLES.contains(v)) {
                set.add(v + " = " + (readOnly ? "ON" : "DEFAULT"));
            } else if (v.equals("wait_timeout") && interactive) {
                set.add("wait_timeout = @@GLOBAL.interactive_timeout");
            } else {
                set.add(v + " = DEFAULT");
            }
        }
        if (names) {
            Collations.Collation c = Collations.byId(charset).orElseThrow();
            set.add("character_set_client = '" + c.charsetName() + "'");
            set.add("character_set_connection = '" + c.charsetName() + "'");
            set.add("character_set_results = '" + c.charsetName() + "'");
            set.add("collation_connection = '" + c.name() + "'");
        }
        if (lastInsertId != 0) {
            set.add("last_insert_id = 0");
        }
        return set.isEmpty() ? null : "SET SESSION " + String.join(", ", set);
    }
}
