package io.baton.protocol.auth;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/** SHA-1 / SHA-256 and XOR, the building blocks of the password scrambles. */
final class Digests {

    private Digests() {}

    // One instance per thread and algorithm: MessageDigest.getInstance looks the provider up and allocates on each call,
    // and every login digests several times. digest() leaves an instance reset for the next use.
    private static final ThreadLocal<MessageDigest> SHA1 = ThreadLocal.withInitial(() -> instance("SHA-1"));
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> instance("SHA-256"));

    static byte[] sha1(byte[]... parts) {
        return digest(SHA1.get(), parts);
    }

    static byte[] sha256(byte[]... parts) {
        return digest(SHA256.get(), parts);
    }

    private static MessageDigest instance(String algorithm) {
        try {
            return MessageDigest.getInstance(algorithm);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(algorithm + " is a required JCA algorithm", e);
        }
    }

    private static byte[] digest(MessageDigest md, byte[]... parts) {
        md.reset();
        for (byte[] p : parts) {
            md.update(p);
        }
        return md.digest();
    }

    /** a XOR b, both of the same length. */
    static byte[] xor(byte[] a, byte[] b) {
        byte[] out = new byte[a.length];
        for (int i = 0; i < a.length; i++) {
            out[i] = (byte) (a[i] ^ b[i]);
        }
        return out;
    }

    /** The first 20 bytes of a scramble (servers append a NUL to the 20 bytes). */
    static byte[] seed20(byte[] scramble) {
        if (scramble.length < 20) {
            throw new IllegalArgumentException("scramble must have at least 20 bytes, got " + scramble.length);
        }
        return scramble.length == 20 ? scramble : java.util.Arrays.copyOf(scramble, 20);
    }
}
