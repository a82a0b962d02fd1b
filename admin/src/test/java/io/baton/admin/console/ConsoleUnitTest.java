package io.baton.admin.console;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.admin.config.BatonConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The console's parts that need no server: words, suggestions, tables, the login delay, the password. */
class ConsoleUnitTest {

    @Test
    void wordsSplitOnSpacesAndEqualsAndKeepQuotes() {
        assertEquals(List.of("SET", "failover.auto", "=", "false"), CommandCatalog.words("SET failover.auto=false"));
        assertEquals(List.of("SET", "a", "=", "x y"), CommandCatalog.words("SET a = 'x y'"));
        assertEquals(List.of("show", "topology"), CommandCatalog.words("  show   topology "));
    }

    @Test
    void commandsAreFoundCaseInsensitivelyTwoWordNamesFirst() {
        assertEquals("SHOW TOPOLOGY", CommandCatalog.find(List.of("show", "Topology")).orElseThrow().name());
        assertEquals("FAILOVER", CommandCatalog.find(List.of("failover", "to", "db2")).orElseThrow().name());
        assertTrue(CommandCatalog.find(List.of("SHOW")).isEmpty());
    }

    @Test
    void unknownCommandsGetTheClosestNames() {
        assertEquals("SHOW TOPOLOGY", CommandCatalog.closest(List.of("SHOW", "TOPOLGY"), true).get(0));
        assertEquals("SWITCHOVER", CommandCatalog.closest(List.of("swtichover"), true).get(0));
        assertEquals("SHOW SESSIONS", CommandCatalog.closest(List.of("sessions"), true).get(0));
        assertEquals("QUIT", CommandCatalog.closest(List.of("QUTI"), false).get(0));
        assertFalse(CommandCatalog.closest(List.of("SWTICHOVER"), false).contains("SWITCHOVER"), "only AUTH/HELP/QUIT before login");
        assertTrue(CommandCatalog.closest(List.of("xyzzy"), true).isEmpty());
        assertEquals(3, CommandCatalog.distance("kitten", "sitting"));
    }

    @Test
    void tablesAlignTheirColumns() {
        Table t = new Table("x", null).column("NAME", "n").column("VALUE", "v");
        t.row().put("n", "a");
        t.row().put("n", "longer");
        t.rows.get(0).put("v", 1);
        assertEquals(List.of("NAME    VALUE", "------  -----", "a       1", "longer  -"), t.render());
        assertEquals(List.of("(none)"), new Table("y", null).column("A", "a").render());
    }

    @Test
    void theLoginDelayDoublesAndIsBounded() {
        assertEquals(200, LoginThrottle.delayMillis(1, 1));
        assertEquals(400, LoginThrottle.delayMillis(2, 2));
        assertEquals(800, LoginThrottle.delayMillis(3, 3));
        assertEquals(800, LoginThrottle.delayMillis(1, 9), "failures on other connections count too");
        assertEquals(LoginThrottle.MAX_DELAY_MILLIS, LoginThrottle.delayMillis(40, 40));
    }

    @Test
    void thePasswordComesFromTheConfigTheFileOrTheEnvironment() throws Exception {
        BatonConfig.Admin a = new BatonConfig.Admin();
        assertTrue(AdminPassword.resolve(a, Map.of()).isEmpty());
        assertTrue(AdminPassword.resolve(a, Map.of(AdminPassword.ENV, "env-pw")).orElseThrow().matches("env-pw"));
        Path f = Files.createTempFile("admin", ".pw");
        Files.writeString(f, "file-pw\nignored\n");
        a.passwordFile = f.toString();
        AdminPassword p = AdminPassword.resolve(a, Map.of(AdminPassword.ENV, "env-pw")).orElseThrow();
        assertTrue(p.matches("file-pw"));
        assertFalse(p.matches("env-pw"));
        assertFalse(p.toString().contains("file-pw"), "never shown");
        a.password = "cfg";
        assertTrue(AdminPassword.resolve(a, Map.of()).orElseThrow().matches("cfg"));
        a.password = "";
        assertThrows(IllegalStateException.class, () -> AdminPassword.resolve(a, Map.of()));
        a.password = null;
        a.passwordFile = f.resolveSibling("missing-" + System.nanoTime()).toString();
        assertThrows(IllegalStateException.class, () -> AdminPassword.resolve(a, Map.of()));
    }

    @Test
    void showConfigHidesPasswords() {
        BatonConfig c = new BatonConfig();
        c.admin.password = "s3cret-admin";
        BatonConfig.User u = new BatonConfig.User();
        u.user = "app";
        u.password = "s3cret-app";
        c.users.add(u);
        BatonConfig.User h = new BatonConfig.User();
        h.user = "hashed";
        h.passwordHash = "*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9"; // logs clients in as well as a password
        c.users.add(h);
        String flat = Settings.flatten(c).toString();
        assertFalse(flat.contains("s3cret") || flat.contains("6BB4837"), flat);
        assertTrue(flat.contains("users[0].password=*****"), flat);
        assertTrue(flat.contains("users[1].passwordHash=*****"), flat);
        String tree = Settings.redacted(c).toString();
        assertFalse(tree.contains("s3cret") || tree.contains("6BB4837"), tree);
        assertEquals("failover.auto", Settings.known(c, "FAILOVER.AUTO"));
    }
}
