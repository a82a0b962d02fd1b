package io.baton.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;

/**
  * caching_sha2_password.
  *
  * <p>https://dev.mysql.com/doc/dev/mysql-server/latest/page_caching_sha2_authentication_exchanges.html
  * and https://dev.mysql.com/doc/refman/8.0/en/caching-sha2-pluggable-authentication.html
  *
  * <pre>
  *   client sends   XOR(SHA256(password), SHA256(SHA256(SHA256(password)) + nonce))   (32 bytes; empty for an empty password)
  *   fast path      the server has SHA256(SHA256(password)) cached: it checks the scramble and sends
  *                  AuthMoreData(0x03 fast_auth_success) then OK
  *   full path      no cache entry: AuthMoreData(0x04 perform_full_authentication); the client sends
  *                  the password + NUL in clear over TLS (or a Unix socket), or else asks for the
  *                  server's RSA public key (0x02), gets it in AuthMoreData, and sends
  *                  RSA-OAEP((password + NUL) XOR nonce) — see {@link RsaPasswordCipher}
  * </pre>
  *
  * The nonce is the 20-byte scramble of the handshake (a trailing NUL is ignored).
  */
public final class CachingSha2Password {

    public static final String PLUGIN_NAME = AuthPluginNames.CACHING_SHA2_PASSWORD;
    /** Client → server during the full path: "send me your RSA public key". */
    public static final int REQUEST_PUBLIC_KEY = 0x02;
    /** AuthMoreData status: the scramble matched the cache; an OK follows. */
    public static final int FAST_AUTH_SUCCESS = 0x03;
    /** AuthMoreData status: no cache entry; the client must send the password (TLS or RSA). */
    public static final int PERFORM_FULL_AUTHENTICATION = 0x04;
    public static final int SCRAMBLE_LENGTH = 32;

    private CachingSha2Password() {}

    /** The client's auth response for {@code password} and the server's {@code nonce}. */
    public static byte[] scramble(byte[] password, byte[] nonce) {
        if (password.length == 0) {
            return new byte[0];
        }
        byte[] stage1 = Digests.sha256(password);
        byte[] stage2 = Digests.sha256(stage1);
        return Digests.xor(stage1, Digests.sha256(stage2, Digests.seed20(nonce)));
    }

    public static byte[] scramble(String password, byte[] nonce) {
        return scramble(password.getBytes(StandardCharsets.UTF_8), nonce);
    }

    /** What the fast path needs: SHA256(SHA256(password)); empty for an empty password. */
    public static byte[] fastAuthHash(byte[] password) {
        return password.length == 0 ? new byte[0] : Digests.sha256(Digests.sha256(password));
    }

    public static byte[] fastAuthHash(String password) {
        return fastAuthHash(password.getBytes(StandardCharsets.UTF_8));
    }

    /**
      * Server-side fast path: does {@code response} match the password whose
      * SHA256(SHA256(password)) is {@code fastAuthHash}? Constant-time in the final comparison.
      */
    public static boolean verifyFast(byte[] response, byte[] nonce, byte[] fastAuthHash) {
        if (fastAuthHash.length == 0) {
            return response.length == 0;
        }
        if (response.length != SCRAMBLE_LENGTH || fastAuthHash.length != SCRAMBLE_LENGTH) {
            return false;
        }
        byte[] stage1 = Digests.xor(response, Digests.sha256(fastAuthHash, Digests.seed20(nonce)));
        return MessageDigest.isEqual(Digests.sha256(stage1), fastAuthHash);
    }

    /**
      * Server-side full path: does the cleartext password (from TLS or RSA) match the stored
      * SHA256(SHA256(password))? After a success, a server caches that hash for the fast path.
      */
    public static boolean verifyCleartext(byte[] password, byte[] fastAuthHash) {
        return MessageDigest.isEqual(fastAuthHash(password), fastAuthHash);
    }

    /**
      * Recovers SHA256(password) from a client's valid fast-path response, or returns null if the
      * response is wrong. With it a proxy can answer another server's nonce as the same user
      * ({@link #scrambleWithStage1Hash}); that server's fast path then succeeds if it has the user
      * cached, else it asks for the full path, which needs the password itself. Treat the result
      * like a password.
      */
    public static byte[] recoverStage1Hash(byte[] response, byte[] nonce, byte[] fastAuthHash) {
        if (response.length != SCRAMBLE_LENGTH || fastAuthHash.length != SCRAMBLE_LENGTH) {
            return null;
        }
        byte[] stage1 = Digests.xor(response, Digests.sha256(fastAuthHash, Digests.seed20(nonce)));
        return MessageDigest.isEqual(Digests.sha256(stage1), fastAuthHash) ? stage1 : null;
    }

    /** The fast-path response for {@code nonce} computed from SHA256(password). */
    public static byte[] scrambleWithStage1Hash(byte[] stage1Hash, byte[] nonce) {
        if (stage1Hash.length != SCRAMBLE_LENGTH) {
            throw new IllegalArgumentException("a stage-1 hash has 32 bytes");
        }
        return Digests.xor(stage1Hash, Digests.sha256(Digests.sha256(stage1Hash), Digests.seed20(nonce)));
    }

    /** Server-side check of a scramble against a known cleartext password. */
    public static boolean verify(byte[] response, byte[] nonce, byte[] password) {
        return MessageDigest.isEqual(scramble(password, nonce), response);
    }

    /** Full path over TLS or a Unix socket: the password and a NUL, in clear. */
    public static byte[] cleartextResponse(byte[] password) {
        return Arrays.copyOf(password, password.length + 1);
    }

    /**
      * Reads a cleartext full-path response: the password without its trailing NUL (tolerated if
      * absent, as some clients omit it).
      */
    public static byte[] passwordFromCleartext(byte[] response) {
        int n = response.length;
        return Arrays.copyOf(response, n > 0 && response[n - 1] == 0 ? n - 1 : n);
    }
}
