package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.proxy.routing.Endpoint;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * tls.backend: Baton's connections to the server are encrypted (the session's statements run on
 * them, so the server's own Ssl_cipher says so), independent of the client's side, and
 * caching_sha2's full path then sends the password inside that TLS.
 */
@WithSandbox(replicas = 0)
class BackendTlsTest {

    private static ProxyServer proxy(SandboxTopology t, boolean backendTls) throws InterruptedException {
        ProxySettings d = ProxySettings.defaults();
        ProxySettings s = new ProxySettings(d.host(), 0, d.ioThreads(), d.maxConnections(), d.maxPacketBytes(),
                d.idleTimeout(), d.connectTimeout(), d.backendConnectTimeout(), d.gateMaxWait(), backendTls);
        UserDirectory users = new UserDirectory();
        for (String key : new String[] {"app", "app_sha2"}) {
            TopologyFile.User u = t.user(key);
            users.add(u.user(), u.password());
        }
        TopologyFile.Server src = t.initialSource();
        return new ProxyServer(s, users, new Endpoint(src.name(), src.host(), src.port()), TlsContexts.server(null, null),
                null).start();
    }

    private static String backendCipher(ProxyServer p, TopologyFile.User u, String sslMode) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", u.user());
        props.setProperty("password", u.password());
        props.setProperty("sslMode", sslMode);
        try (Connection c = DriverManager.getConnection("jdbc:mysql://127.0.0.1:" + p.port() + "/app", props);
             Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SHOW SESSION STATUS LIKE 'Ssl_cipher'")) {
            assertTrue(rs.next());
            return rs.getString(2);
        }
    }

    @Test
    void backendsAreEncryptedWhenConfiguredWhateverTheClientUses(SandboxTopology t) throws Exception {
        TopologyFile.User app = t.user("app");
        ProxyServer plain = proxy(t, false);
        try {
            assertEquals("", backendCipher(plain, app, "DISABLED"), "tls.backend off: a plain backend");
        } finally {
            plain.close();
        }
        ProxyServer tls = proxy(t, true);
        try {
            String cipher = backendCipher(tls, app, "DISABLED");
            assertFalse(cipher.isEmpty(), "tls.backend on: the server sees TLS though the client does not use it");
            assertFalse(backendCipher(tls, app, "REQUIRED").isEmpty());
        } finally {
            tls.close();
        }
    }

    @Test
    void cachingSha2FullAuthenticationGoesInsideTheBackendsTls(SandboxTopology t) throws Exception {
        TopologyFile.User sha2 = t.user("app_sha2");
        ProxyServer tls = proxy(t, true);
        try {
            for (int i = 0; i < 2; i++) {
                // FLUSH PRIVILEGES empties the server's caching_sha2 cache: the next login takes the full path.
                try (Connection root = t.connectRoot(t.initialSource().name()); Statement s = root.createStatement()) {
                    s.execute("FLUSH PRIVILEGES");
                }
                assertFalse(backendCipher(tls, sha2, "DISABLED").isEmpty());
            }
        } finally {
            tls.close();
        }
    }
}
