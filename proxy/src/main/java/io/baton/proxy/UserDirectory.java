package io.baton.proxy;

import io.baton.protocol.auth.CachingSha2Password;
import io.baton.protocol.auth.NativePassword;
import io.baton.protocol.auth.Sha2StoredHash;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The accounts clients may log in as. Each has its cleartext password (what Baton needs to verify
 * a client with either plugin and to open backends as the same user), or the server's stored form
 * of it (mysql.user.authentication_string), as ProxySQL's mysql_users accept:
 * <ul>
 *   <li>{@code *HEX} (mysql_native_password): a client's native scramble proves the password and
 *       yields SHA1(password), which answers a backend's native challenge;</li>
 *   <li>{@code $A$005$...} (caching_sha2_password, given as HEX(authentication_string)): checked on
 *       the full authentication path (password over TLS, or RSA-encrypted), as the server does;
 *       Baton then keeps the password in memory (never on disk, never logged) for the fast path and
 *       for backends, as a server keeps its cache.</li>
 * </ul>
 * Never logged.
 */
public final class UserDirectory {
    private final Map<String, Account> accounts = new ConcurrentHashMap<>();

    /** One account. The toString never shows a password or hash. */
    public static final class Account {
        private final String user;
        private final String configuredPassword;
        private final byte[] nativeStoredHash;
        private final Sha2StoredHash sha2StoredHash;
        /** Learned from a client's full authentication against {@link #sha2StoredHash}. */
        private volatile String learnedPassword;

        private Account(String user, String password, byte[] nativeStoredHash, Sha2StoredHash sha2StoredHash) {
            this.user = user;
            this.configuredPassword = password;
            this.nativeStoredHash = password != null ? NativePassword.storedHash(password) : nativeStoredHash;
            this.sha2StoredHash = sha2StoredHash;
        }

        public String user() {
            return user;
        }

        /** The cleartext password: configured, or learned from a full authentication; null if neither. */
        public String password() {
            return configuredPassword != null ? configuredPassword : learnedPassword;
        }

        /** The account has no password at all (empty password or empty stored hash). */
        boolean emptyPassword() {
            return (configuredPassword != null && configuredPassword.isEmpty())
                    || (configuredPassword == null && nativeStoredHash != null && nativeStoredHash.length == 0);
        }

        /** SHA1(SHA1(password)) for the native plugin, or null when only a caching_sha2 form is known. */
        byte[] nativeStoredHash() {
            return nativeStoredHash;
        }

        /** SHA256(SHA256(password)) for the caching_sha2 fast path, or null while no cleartext is known. */
        byte[] fastAuthHash() {
            String pw = password();
            return pw == null ? null : CachingSha2Password.fastAuthHash(pw);
        }

        /** True when a caching_sha2 client must take the full path (stored form only, nothing learned yet). */
        boolean needsFullAuthentication() {
            return password() == null && sha2StoredHash != null;
        }

        /** The full path: checks the cleartext password against the stored form and keeps it on success. */
        boolean verifyFull(byte[] password) {
            String pw = password();
            if (pw != null) {
                return java.security.MessageDigest.isEqual(pw.getBytes(StandardCharsets.UTF_8), password);
            }
            if (sha2StoredHash != null && sha2StoredHash.matches(password)) {
                learnedPassword = new String(password, StandardCharsets.UTF_8);
                return true;
            }
            return false; // a native-hash account never takes the full path: it is switched to native
        }

        boolean hasSha2StoredHash() {
            return sha2StoredHash != null;
        }

        @Override
        public String toString() {
            return "Account[" + user + "]";
        }
    }

    /** An account with its cleartext password ("" for none). */
    public UserDirectory add(String user, String password) {
        accounts.put(user, new Account(user, password, null, null));
        return this;
    }

    /**
     * An account with the server's stored form of its password: {@code *HEX} (mysql_native_password),
     * or caching_sha2_password's {@code $A$005$...} as HEX(authentication_string) ({@code 0x} optional);
     * "" for no password.
     *
     * @throws IllegalArgumentException naming the forms accepted
     */
    public UserDirectory addHashed(String user, String passwordHash) {
        accounts.put(user, hashed(user, passwordHash));
        return this;
    }

    /**
     * Checks a stored form as {@link #addHashed} would take it.
     *
     * @throws IllegalArgumentException naming the forms accepted
     */
    public static void checkHash(String passwordHash) {
        hashed("check", passwordHash);
    }

    private static Account hashed(String user, String passwordHash) {
        String h = passwordHash.strip();
        if (h.isEmpty() || h.startsWith("*")) {
            return new Account(user, null, NativePassword.parseStoredHash(h), null);
        }
        return new Account(user, null, null, Sha2StoredHash.parse(h));
    }

    public Account find(String user) {
        return accounts.get(user);
    }

    /** Some account can only be verified on caching_sha2's full path (Baton then needs an RSA key pair). */
    boolean anyNeedsFullAuthentication() {
        return accounts.values().stream().anyMatch(Account::hasSha2StoredHash);
    }
}
