package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.auth.NativePassword;
import io.baton.proxy.routing.Endpoint;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Users configured by the server's stored hash (mysql.user.authentication_string) instead of a
 * cleartext password: the native {@code *HEX} form and caching_sha2's {@code $A$005$} form, read
 * from the sandbox's own source, with Connector/J over plain TCP (RSA) and TLS.
 */
@WithSandbox(replicas = 1)
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class StoredHashLoginTest {
    private String nativeHash;
    private String sha2Hash;

    @BeforeAll
    void readTheServersHashes(SandboxTopology t) throws SQLException {
        try (Connection c = t.connectRoot(t.initialSource().name()); Statement s = c.createStatement()) {
            nativeHash = hash(s, t.user("app").user());
            sha2Hash = hash(s, t.user("app_sha2").user());
        }
        assertTrue(nativeHash.startsWith("*"), nativeHash.substring(0, 1));
        assertTrue(sha2Hash.startsWith("2441243030"), "HEX of $A$00...");
    }

    private static String hash(Statement s, String user) throws SQLException {
        try (ResultSet rs = s.executeQuery("SELECT plugin, authentication_string, HEX(authentication_string)"
                + " FROM mysql.user WHERE user = '" + user + "'")) {
            assertTrue(rs.next(), user);
            return rs.getString(1).equals("mysql_native_password") ? rs.getString(2) : rs.getString(3);
        }
    }

    private ProxyServer proxy(SandboxTopology t, UserDirectory users) throws InterruptedException {
        TopologyFile.Server src = t.initialSource();
        return new ProxyServer(ProxySettings.defaults().withPort(0), users, endpoint(src),
                TlsContexts.server(null, null), null).start();
    }

    private static Endpoint endpoint(TopologyFile.Server s) {
        return new Endpoint(s.name(), s.host(), s.port());
    }

    private static Connection connect(ProxyServer p, String user, String password, String extra) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        return DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + p.port() + "/app?" + extra, props);
    }

    private static String scalar(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            assertTrue(rs.next());
            return rs.getString(1);
        }
    }

    @Test
    void aNativeHashLogsClientsInAndOpensBackendsAlsoAfterAMove(SandboxTopology t) throws Exception {
        TopologyFile.User app = t.user("app");
        ProxyServer p = proxy(t, new UserDirectory().addHashed(app.user(), nativeHash));
        try {
            // Connector/J answers the greeting's caching_sha2 first: Baton switches it to native.
            try (Connection c = connect(p, app.user(), app.password(), "sslMode=DISABLED")) {
                assertTrue(scalar(c, "SELECT CURRENT_USER()").startsWith(app.user() + "@"));
                int before = Integer.parseInt(scalar(c, "SELECT @@port"));
                TopologyFile.Server replica = t.servers().stream().filter(s -> s.port() != before).findFirst().orElseThrow();
                // A new backend on another server as the same user: only SHA1(password) is known.
                p.switchTo(endpoint(replica), Duration.ofSeconds(10));
                assertEquals(replica.port(), Integer.parseInt(scalar(c, "SELECT @@port")), "the session moved");
                p.switchTo(endpoint(t.initialSource()), Duration.ofSeconds(10));
            }
            try (Connection c = connect(p, app.user(), app.password(), "sslMode=REQUIRED")) {
                assertEquals("1", scalar(c, "SELECT 1"), "over TLS too");
            }
            SQLException wrong = assertThrows(SQLException.class,
                    () -> connect(p, app.user(), app.password() + "x", "sslMode=DISABLED").close());
            assertEquals(1045, wrong.getErrorCode(), wrong.getMessage());
        } finally {
            p.close();
        }
    }

    @Test
    void aCachingSha2HashTakesTheFullPathOnceThenTheFastPath(SandboxTopology t) throws Exception {
        TopologyFile.User u = t.user("app_sha2");
        ProxyServer p = proxy(t, new UserDirectory().addHashed(u.user(), sha2Hash));
        try {
            // Plain TCP, nothing learned yet: the full path needs Baton's RSA key, which the client must accept.
            SQLException noKey = assertThrows(SQLException.class,
                    () -> connect(p, u.user(), u.password(), "sslMode=DISABLED").close());
            assertTrue(noKey.getMessage().contains("Public Key Retrieval is not allowed"), noKey.getMessage());
            SQLException wrong = assertThrows(SQLException.class, () -> connect(p, u.user(), u.password() + "x",
                    "sslMode=DISABLED&allowPublicKeyRetrieval=true").close());
            assertEquals(1045, wrong.getErrorCode(), wrong.getMessage());
            try (Connection c = connect(p, u.user(), u.password(), "sslMode=DISABLED&allowPublicKeyRetrieval=true")) {
                assertTrue(scalar(c, "SELECT CURRENT_USER()").startsWith(u.user() + "@"));
            }
            // Proven once: the fast path now works without the key, as with a server's cache.
            try (Connection c = connect(p, u.user(), u.password(), "sslMode=DISABLED")) {
                assertEquals("1", scalar(c, "SELECT 1"));
            }
            SQLException wrongFast = assertThrows(SQLException.class,
                    () -> connect(p, u.user(), "not" + u.password(), "sslMode=DISABLED").close());
            assertEquals(1045, wrongFast.getErrorCode(), wrongFast.getMessage());
        } finally {
            p.close();
        }
        ProxyServer tls = proxy(t, new UserDirectory().addHashed(u.user(), sha2Hash));
        try (Connection c = connect(tls, u.user(), u.password(), "sslMode=REQUIRED")) {
            // The full path inside TLS: the password in clear, checked against the $A$005$ form.
            assertEquals("1", scalar(c, "SELECT 1"));
        } finally {
            tls.close();
        }
    }

    @Test
    void aNativeHashForAnAccountTheServerKeepsAsCachingSha2IsRefusedWithTheReason(SandboxTopology t) throws Exception {
        TopologyFile.User u = t.user("app_sha2");
        String hashOfTheSamePassword = NativePassword.formatStoredHash(NativePassword.storedHash(u.password()));
        ProxyServer p = proxy(t, new UserDirectory().addHashed(u.user(), hashOfTheSamePassword));
        try {
            SQLException e = assertThrows(SQLException.class, () -> connect(p, u.user(), u.password(), "sslMode=DISABLED").close());
            assertEquals(1045, e.getErrorCode(), e.getMessage());
            assertTrue(e.getMessage().contains("knows only the mysql_native_password hash"), e.getMessage());
            assertEquals(0, awaitNoSessions(p), "the refused session is gone");
        } finally {
            p.close();
        }
    }

    private static int awaitNoSessions(ProxyServer p) throws InterruptedException {
        long until = System.nanoTime() + Duration.ofSeconds(10).toNanos();
        while (p.sessions().open() > 0 && System.nanoTime() < until) {
            Thread.sleep(20);
        }
        return p.sessions().open();
    }

    @Test
    void badHashesAreRefusedWithTheFormsAccepted() {
        UserDirectory d = new UserDirectory();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> d.addHashed("u", "*123"));
        assertTrue(e.getMessage().contains("40 hex digits"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> d.addHashed("u", "$A$005$short"));
        assertTrue(e.getMessage().contains("caching_sha2_password"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> d.addHashed("u", "secret"));
        assertTrue(e.getMessage().contains("HEX(authentication_string)"), e.getMessage());
    }
}
