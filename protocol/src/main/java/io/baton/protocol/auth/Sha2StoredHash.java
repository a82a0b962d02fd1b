package io.baton.protocol.auth;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The form caching_sha2_password keeps in mysql.user.authentication_string, and the check of a
 * cleartext password against it (what the server does on the full authentication path).
 *
 * <pre>
 *   $A$ rrr $ salt(20 bytes) digest(43 chars)      70 bytes
 *   A       the digest type (SHA-256 crypt)
 *   rrr     rounds / 1000, three HEX digits as the server writes them (005 = 5000 rounds, 00A = 10000;
 *           caching_sha2_password_digest_rounds goes up to 4095000 = FFF)
 *   salt    20 random bytes, 7-bit, never NUL or '$' (may be control characters: copy it as hex)
 *   digest  SHA-256 crypt (Drepper, "Unix crypt using SHA-256") of the password with that salt and
 *           rounds, in crypt's base-64 alphabet ./0-9A-Za-z
 * </pre>
 *
 * The stored form cannot check a fast-path scramble (that needs SHA256(SHA256(password)), which a
 * server only caches after a full authentication); it checks the password a client sends on the
 * full path. Immutable.
 */
public final class Sha2StoredHash {
    public static final int SALT_LENGTH = 20;
    public static final int DIGEST_LENGTH = 43;
    private static final int LENGTH = 7 + SALT_LENGTH + DIGEST_LENGTH;
    private static final int MAX_ROUNDS = 0xFFF * 1000;
    /** As the server's own limit for caching_sha2 passwords: longer ones are never hashed (crypt is quadratic in it). */
    public static final int MAX_PASSWORD_LENGTH = 256;
    private static final byte[] B64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
            .getBytes(StandardCharsets.US_ASCII);
    private static final byte[] B64_SORTED = sorted(B64);

    private final int rounds;
    private final byte[] salt;
    private final byte[] digest;

    private Sha2StoredHash(int rounds, byte[] salt, byte[] digest) {
        this.rounds = rounds;
        this.salt = salt;
        this.digest = digest;
    }

    /**
     * Parses authentication_string as bytes.
     *
     * @throws IllegalArgumentException if it is not {@code $A$rrr$} + 20 salt bytes + 43 digest characters
     */
    public static Sha2StoredHash parse(byte[] s) {
        if (s.length != LENGTH || s[0] != '$' || s[1] != 'A' || s[2] != '$' || s[6] != '$') {
            throw new IllegalArgumentException("not a caching_sha2_password hash: expected $A$005$ followed by a"
                    + " 20-byte salt and a 43-character digest (" + LENGTH + " bytes), got " + s.length + " bytes");
        }
        int rounds = 0;
        for (int i = 3; i < 6; i++) {
            int digit = Character.digit(s[i], 16);
            if (digit < 0) {
                throw new IllegalArgumentException("not a caching_sha2_password hash: the rounds field is not 3 hex digits");
            }
            rounds = rounds * 16 + digit;
        }
        if (rounds == 0) {
            throw new IllegalArgumentException("not a caching_sha2_password hash: 0 rounds");
        }
        byte[] digest = Arrays.copyOfRange(s, 7 + SALT_LENGTH, LENGTH);
        for (byte b : digest) {
            if (Arrays.binarySearch(B64_SORTED, b) < 0) {
                throw new IllegalArgumentException("not a caching_sha2_password hash: the digest has a character"
                        + " outside ./0-9A-Za-z");
            }
        }
        return new Sha2StoredHash(rounds * 1000, Arrays.copyOfRange(s, 7, 7 + SALT_LENGTH), digest);
    }

    /**
     * Parses the text an operator copies from the server: {@code SELECT HEX(authentication_string)}
     * (with or without {@code 0x}), or the string itself when it happens to be printable.
     */
    public static Sha2StoredHash parse(String text) {
        String t = text.strip();
        if (t.startsWith("$A$")) {
            return parse(t.getBytes(StandardCharsets.ISO_8859_1));
        }
        if (t.startsWith("0x") || t.startsWith("0X")) {
            t = t.substring(2);
        }
        byte[] bytes;
        try {
            bytes = HexFormat.of().parseHex(t.toLowerCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not a caching_sha2_password hash: give HEX(authentication_string)"
                    + " (140 hex digits starting 2441243030)");
        }
        return parse(bytes);
    }

    /** A stored form for {@code password} with this salt (as the server computes it). */
    public static Sha2StoredHash create(byte[] password, byte[] salt, int rounds) {
        if (salt.length != SALT_LENGTH || rounds < 1000 || rounds > MAX_ROUNDS || rounds % 1000 != 0) {
            throw new IllegalArgumentException("a 20-byte salt and a multiple of 1000 rounds up to " + MAX_ROUNDS);
        }
        return new Sha2StoredHash(rounds, salt.clone(), crypt(password, salt, rounds));
    }

    /** The authentication_string bytes. */
    public byte[] bytes() {
        byte[] out = new byte[LENGTH];
        byte[] head = String.format(Locale.ROOT, "$A$%03X$", rounds / 1000).getBytes(StandardCharsets.US_ASCII);
        System.arraycopy(head, 0, out, 0, 7);
        System.arraycopy(salt, 0, out, 7, SALT_LENGTH);
        System.arraycopy(digest, 0, out, 7 + SALT_LENGTH, DIGEST_LENGTH);
        return out;
    }

    public int rounds() {
        return rounds;
    }

    /** Does {@code password} match? Constant-time in the final comparison. */
    public boolean matches(byte[] password) {
        if (password.length > MAX_PASSWORD_LENGTH) {
            return false;
        }
        return MessageDigest.isEqual(crypt(password, salt, rounds), digest);
    }

    /** SHA-256 crypt of the key with the salt and rounds: the 43 characters after the salt. */
    static byte[] crypt(byte[] key, byte[] salt, int rounds) {
        MessageDigest md = sha256();
        // B = SHA256(key salt key)
        md.update(key);
        md.update(salt);
        md.update(key);
        byte[] b = md.digest();
        // A = SHA256(key salt B-repeated-to-key-length, then per bit of the key length: B or key)
        md.update(key);
        md.update(salt);
        int n = key.length;
        for (; n > 32; n -= 32) {
            md.update(b, 0, 32);
        }
        md.update(b, 0, n);
        for (n = key.length; n > 0; n >>= 1) {
            if ((n & 1) != 0) {
                md.update(b, 0, 32);
            } else {
                md.update(key);
            }
        }
        byte[] a = md.digest();
        // P = SHA256(key repeated key-length times), repeated to key length
        for (int i = 0; i < key.length; i++) {
            md.update(key);
        }
        byte[] p = repeat(md.digest(), key.length);
        // S = SHA256(salt repeated 16 + A[0] times), repeated to salt length
        for (int i = 0; i < 16 + (a[0] & 0xFF); i++) {
            md.update(salt);
        }
        byte[] s = repeat(md.digest(), salt.length);
        for (int r = 0; r < rounds; r++) {
            md.update((r & 1) != 0 ? p : a);
            if (r % 3 != 0) {
                md.update(s);
            }
            if (r % 7 != 0) {
                md.update(p);
            }
            md.update((r & 1) != 0 ? a : p);
            a = md.digest();
        }
        byte[] out = new byte[DIGEST_LENGTH];
        int o = 0;
        int[][] groups = {{0, 10, 20}, {21, 1, 11}, {12, 22, 2}, {3, 13, 23}, {24, 4, 14}, {15, 25, 5}, {6, 16, 26},
            {27, 7, 17}, {18, 28, 8}, {9, 19, 29}};
        for (int[] g : groups) {
            o = b64(out, o, a[g[0]] & 0xFF, a[g[1]] & 0xFF, a[g[2]] & 0xFF, 4);
        }
        b64(out, o, 0, a[31] & 0xFF, a[30] & 0xFF, 3);
        return out;
    }

    private static int b64(byte[] out, int o, int b2, int b1, int b0, int chars) {
        int w = (b2 << 16) | (b1 << 8) | b0;
        for (int i = 0; i < chars; i++) {
            out[o++] = B64[w & 0x3F];
            w >>>= 6;
        }
        return o;
    }

    private static byte[] repeat(byte[] digest, int length) {
        byte[] out = new byte[length];
        for (int i = 0; i < length; i++) {
            out[i] = digest[i % digest.length];
        }
        return out;
    }

    private static byte[] sorted(byte[] alphabet) {
        byte[] s = alphabet.clone();
        Arrays.sort(s);
        return s;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
        }
    }

    @Override
    public String toString() {
        return "Sha2StoredHash[rounds=" + rounds + "]"; // never the salt or digest
    }
}
