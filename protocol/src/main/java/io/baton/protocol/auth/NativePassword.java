package io.baton.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Locale;

/**
  * mysql_native_password.
  *
  * <p>https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods_native_password_authentication.html
  *
  * <pre>
  *   client sends   SHA1(password) XOR SHA1(seed + SHA1(SHA1(password)))   (20 bytes; empty for an empty password)
  *   server stores  SHA1(SHA1(password)), shown as '*' + 40 upper-case hex digits
  *   server checks  SHA1(response XOR SHA1(seed + stored)) == stored
  * </pre>
  *
  * The seed is the 20-byte scramble of the HandshakeV10 or AuthSwitchRequest (a trailing NUL is
  * ignored). Passwords are bytes; the String overloads use UTF-8.
  */
public final class NativePassword {

    public static final String PLUGIN_NAME = AuthPluginNames.MYSQL_NATIVE_PASSWORD;
    public static final int SCRAMBLE_LENGTH = 20;

    private NativePassword() {}

    /** The client's auth response for {@code password} and the server's {@code seed}. */
    public static byte[] scramble(byte[] password, byte[] seed) {
        if (password.length == 0) {
            return new byte[0];
        }
        byte[] stage1 = Digests.sha1(password);
        byte[] stage2 = Digests.sha1(stage1);
        return Digests.xor(stage1, Digests.sha1(Digests.seed20(seed), stage2));
    }

    public static byte[] scramble(String password, byte[] seed) {
        return scramble(password.getBytes(StandardCharsets.UTF_8), seed);
    }

    /** What the server stores: SHA1(SHA1(password)); empty for an empty password. */
    public static byte[] storedHash(byte[] password) {
        return password.length == 0 ? new byte[0] : Digests.sha1(Digests.sha1(password));
    }

    public static byte[] storedHash(String password) {
        return storedHash(password.getBytes(StandardCharsets.UTF_8));
    }

    /**
      * Server side: does {@code response} prove knowledge of the password whose stored hash is
      * {@code storedHash}? Constant-time in the hash comparison.
      */
    public static boolean verify(byte[] response, byte[] seed, byte[] storedHash) {
        if (storedHash.length == 0) {
            return response.length == 0;
        }
        if (response.length != SCRAMBLE_LENGTH || storedHash.length != SCRAMBLE_LENGTH) {
            return false;
        }
        byte[] stage1 = Digests.xor(response, Digests.sha1(Digests.seed20(seed), storedHash));
        return MessageDigest.isEqual(Digests.sha1(stage1), storedHash);
    }

    /**
      * Recovers SHA1(password) ("hash stage 1") from a client's valid response, or returns null if
      * the response is wrong. With it a proxy that only stores SHA1(SHA1(password)) can answer another
      * server's seed as the same user ({@link #scrambleWithStage1Hash}) — what re-opening a backend
      * connection needs. Treat the result like a password.
      */
    public static byte[] recoverStage1Hash(byte[] response, byte[] seed, byte[] storedHash) {
        if (response.length != SCRAMBLE_LENGTH || storedHash.length != SCRAMBLE_LENGTH) {
            return null;
        }
        byte[] stage1 = Digests.xor(response, Digests.sha1(Digests.seed20(seed), storedHash));
        return MessageDigest.isEqual(Digests.sha1(stage1), storedHash) ? stage1 : null;
    }

    /** The response for {@code seed} computed from SHA1(password) instead of the password. */
    public static byte[] scrambleWithStage1Hash(byte[] stage1Hash, byte[] seed) {
        if (stage1Hash.length != SCRAMBLE_LENGTH) {
            throw new IllegalArgumentException("a stage-1 hash has 20 bytes");
        }
        return Digests.xor(stage1Hash, Digests.sha1(Digests.seed20(seed), Digests.sha1(stage1Hash)));
    }

    /** {@code *2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19} form, "" for the empty hash. */
    public static String formatStoredHash(byte[] storedHash) {
        if (storedHash.length == 0) {
            return "";
        }
        if (storedHash.length != SCRAMBLE_LENGTH) {
            throw new IllegalArgumentException("a stored hash has 20 bytes");
        }
        return "*" + HexFormat.of().formatHex(storedHash).toUpperCase(Locale.ROOT);
    }

    /**
      * Parses the {@code *HEX} form of mysql.user.authentication_string ("" = no password).
      *
      * @throws IllegalArgumentException if it is not '*' and 40 hex digits
      */
    public static byte[] parseStoredHash(String text) {
        if (text.isEmpty()) {
            return new byte[0];
        }
        if (text.length() != 41 || text.charAt(0) != '*') {
            throw new IllegalArgumentException("not a mysql_native_password hash: expected '*' and 40 hex digits");
        }
        return HexFormat.of().parseHex(text, 1, 41);
    }
}
