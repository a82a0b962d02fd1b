package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.Collations;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoginResetTest {
    @Test
    void nothingChangedNeedsNoStatement() {
        assertNull(LoginReset.statement(List.of(), 0, Collations.UTF8MB4_0900_AI_CI, false, false));
        assertEquals("SET SESSION last_insert_id = 0", LoginReset.statement(List.of(), 42, Collations.UTF8MB4_0900_AI_CI, false, false));
    }

    @Test
    void variablesGoBackToTheirDefaultAndTheCharacterSetToTheLogins() {
        assertEquals("SET SESSION sql_mode = DEFAULT, autocommit = DEFAULT, character_set_client = 'latin1',"
                        + " character_set_connection = 'latin1', character_set_results = 'latin1',"
                        + " collation_connection = 'latin1_swedish_ci', last_insert_id = 0",
                LoginReset.statement(List.of("sql_mode", "character_set_results", "autocommit"), 7,
                        Collations.LATIN1_SWEDISH_CI, false, false));
    }

    /** A read-only port's connection stays read-only; an interactive login's wait_timeout is interactive_timeout. */
    @Test
    void whatTheLoginItselfSetIsSetAsTheLoginSetsIt() {
        assertEquals("SET SESSION transaction_read_only = ON, wait_timeout = @@GLOBAL.interactive_timeout",
                LoginReset.statement(List.of("transaction_read_only", "wait_timeout"), 0, Collations.UTF8MB4_0900_AI_CI,
                        true, true));
        assertEquals("SET SESSION tx_read_only = DEFAULT, wait_timeout = DEFAULT",
                LoginReset.statement(List.of("tx_read_only", "wait_timeout"), 0, Collations.UTF8MB4_0900_AI_CI,
                        false, false));
    }

    @Test
    void whatCannotBeSetBackKeepsTheConnectionFromTheLogin() {
        assertTrue(LoginReset.possible(List.of("sql_mode", "character_set_results"), Collations.UTF8MB4_0900_AI_CI));
        assertFalse(LoginReset.possible(List.of("character_set_database"), Collations.UTF8MB4_0900_AI_CI));
        assertFalse(LoginReset.possible(List.of("collation_database"), Collations.UTF8MB4_0900_AI_CI));
        assertFalse(LoginReset.possible(List.of("session_track_gtids"), Collations.UTF8MB4_0900_AI_CI));
        assertFalse(LoginReset.possible(List.of("Odd-Name"), Collations.UTF8MB4_0900_AI_CI));
        assertFalse(LoginReset.possible(List.of("character_set_client"), 4000), "an unknown collation id");
        assertTrue(LoginReset.possible(List.of("sql_mode"), 4000), "no character set variable to set");
    }
}
