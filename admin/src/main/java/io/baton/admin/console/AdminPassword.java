package io.baton.admin.console;

import io.baton.admin.config.BatonConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Map;
import java.util.Optional;

/**
 * The console password, from {@code admin.password}, else the file {@code admin.passwordFile}
 * (its first line), else the environment variable {@code BATON_ADMIN_PASSWORD}. Only its SHA-256
 * digest is kept; an attempt is hashed the same way and compared with
 * {@link MessageDigest#isEqual} (constant time, whatever the lengths). Never logged.
 */
final class AdminPassword {
    static final String ENV = "BATON_ADMIN_PASSWORD";

    private final byte[] digest;
    private final String origin;

    private AdminPassword(String password, String origin) {
        this.digest = sha256(password);
        this.origin = origin;
    }

    /**
     * The configured password, or empty when none is configured anywhere.
     *
     * @throws IllegalStateException when admin.passwordFile is set but cannot be read, or a password is empty
     */
    static Optional<AdminPassword> resolve(BatonConfig.Admin admin, Map<String, String> env) {
        if (admin.password != null) {
            return Optional.of(nonEmpty(admin.password, "admin.password"));
        }
        if (admin.passwordFile != null) {
            return Optional.of(nonEmpty(readFile(Path.of(admin.passwordFile)), "admin.passwordFile " + admin.passwordFile));
        }
        String fromEnv = env.get(ENV);
        if (fromEnv != null) {
            return Optional.of(nonEmpty(fromEnv, "the environment variable " + ENV));
        }
        return Optional.empty();
    }

    /** The first line of a password file, without its line end. */
    static String readFile(Path file) {
        try {
            String text = Files.readString(file, StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            String line = nl < 0 ? text : text.substring(0, nl);
            return line.endsWith("\r") ? line.substring(0, line.length() - 1) : line;
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the admin password file " + file + ": " + e.getMessage(), e);
        }
    }

    private static AdminPassword nonEmpty(String password, String origin) {
        if (password.isEmpty()) {
            throw new IllegalStateException(origin + " is empty: the admin console needs a password");
        }
        return new AdminPassword(password, origin);
    }

    /** Where the password came from (for the startup log; never the password). */
    String origin() {
        return origin;
    }

    boolean matches(String attempt) {
        return MessageDigest.isEqual(sha256(attempt == null ? "" : attempt), digest);
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this JVM", e);
        }
    }

    @Override
    public String toString() {
        return "AdminPassword(from " + origin + ")";
    }
}
