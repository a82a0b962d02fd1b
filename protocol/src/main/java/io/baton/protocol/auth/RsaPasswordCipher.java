package io.baton.protocol.auth;

import io.baton.protocol.MySqlError;
import io.baton.protocol.ProtocolException;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAKey;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Cipher;

/**
  * The RSA exchange of the caching_sha2_password and sha256_password full path, for a connection
  * without TLS.
  *
  * <p>https://dev.mysql.com/doc/dev/mysql-server/latest/page_caching_sha2_authentication_exchanges.html
  * and https://dev.mysql.com/doc/refman/8.0/en/sha256-pluggable-authentication.html: the client
  * XORs (password + NUL) with the 20-byte nonce repeated, and encrypts that with the server's RSA
  * public key using OAEP padding (RSA_PKCS1_OAEP_PADDING: SHA-1, MGF1-SHA-1), which is what servers
  * since 8.0.5 expect. The server decrypts with its private key and XORs with the nonce again.
  * Public keys travel as PEM SubjectPublicKeyInfo ({@code BEGIN PUBLIC KEY}); PEM parsing also
  * accepts PKCS#1 ({@code BEGIN RSA PUBLIC KEY}, {@code BEGIN RSA PRIVATE KEY}, the form of the
  * server's auto-generated private_key.pem) and PKCS#8 ({@code BEGIN PRIVATE KEY}).
  */
public final class RsaPasswordCipher {

    public static final String TRANSFORMATION = "RSA/ECB/OAEPWithSHA-1AndMGF1Padding";
    /** OAEP with SHA-1 costs 2 * 20 + 2 bytes of the modulus. */
    private static final int OAEP_SHA1_OVERHEAD = 42;

    private RsaPasswordCipher() {}

    // ---------------------------------------------------------------- client side

    /**
      * Encrypts {@code password} for a server whose public key arrived as PEM in an AuthMoreData.
      *
      * @throws ProtocolException with ER_HANDSHAKE_ERROR if the PEM is not an RSA public key
      */
    public static byte[] encrypt(byte[] password, byte[] nonce, String serverPublicKeyPem) {
        PublicKey key;
        try {
            key = parsePublicKey(serverPublicKeyPem);
        } catch (IllegalArgumentException e) {
            throw new ProtocolException(MySqlError.ER_HANDSHAKE_ERROR, "Bad RSA public key from server: " + e.getMessage());
        }
        return encrypt(password, nonce, key);
    }

    /** RSA-OAEP((password + NUL) XOR nonce-repeated). */
    public static byte[] encrypt(byte[] password, byte[] nonce, PublicKey key) {
        byte[] seed = Digests.seed20(nonce);
        byte[] plain = Arrays.copyOf(password, password.length + 1);
        int modulusBytes = (((RSAKey) key).getModulus().bitLength() + 7) / 8;
        if (plain.length > modulusBytes - OAEP_SHA1_OVERHEAD) {
            throw new IllegalArgumentException("password too long for a " + modulusBytes * 8 + "-bit RSA key");
        }
        xorWithNonce(plain, seed);
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.ENCRYPT_MODE, key);
            return cipher.doFinal(plain);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA encryption failed", e);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    // ---------------------------------------------------------------- server side

    /**
      * Decrypts a client's RSA full-path response into the password (without the NUL).
      *
      * @throws ProtocolException with ER_HANDSHAKE_ERROR if it does not decrypt to (password + NUL)
      *     XOR nonce under this key
      */
    public static byte[] decrypt(byte[] cipherText, byte[] nonce, PrivateKey key) {
        byte[] seed = Digests.seed20(nonce);
        int modulusBytes = (((RSAKey) key).getModulus().bitLength() + 7) / 8;
        if (cipherText.length != modulusBytes) {
            throw new ProtocolException(MySqlError.ER_HANDSHAKE_ERROR,
                    "RSA password of " + cipherText.length + " bytes for a " + modulusBytes + "-byte key");
        }
        byte[] plain;
        try {
            Cipher cipher = Cipher.getInstance(TRANSFORMATION);
            cipher.init(Cipher.DECRYPT_MODE, key);
            plain = cipher.doFinal(cipherText);
        } catch (GeneralSecurityException e) {
            throw new ProtocolException(MySqlError.ER_HANDSHAKE_ERROR, "RSA password does not decrypt: " + e.getMessage());
        }
        xorWithNonce(plain, seed);
        if (plain.length == 0 || plain[plain.length - 1] != 0) {
            Arrays.fill(plain, (byte) 0);
            throw new ProtocolException(MySqlError.ER_HANDSHAKE_ERROR, "RSA password is not NUL-terminated (wrong nonce?)");
        }
        byte[] password = Arrays.copyOf(plain, plain.length - 1);
        Arrays.fill(plain, (byte) 0);
        return password;
    }

    private static void xorWithNonce(byte[] buf, byte[] nonce) {
        for (int i = 0; i < buf.length; i++) {
            buf[i] ^= nonce[i % nonce.length];
        }
    }

    // ---------------------------------------------------------------- keys

    /** A new RSA key pair of {@code bits} bits (MySQL uses 2048). */
    public static KeyPair generateKeyPair(int bits) {
        try {
            KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
            g.initialize(bits);
            return g.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("RSA is a required JCA algorithm", e);
        }
    }

    /** A new 2048-bit RSA key pair. */
    public static KeyPair generateKeyPair() {
        return generateKeyPair(2048);
    }

    /** PEM SubjectPublicKeyInfo ({@code BEGIN PUBLIC KEY}): what the server sends on request. */
    public static String toPem(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    /** PEM PKCS#8 ({@code BEGIN PRIVATE KEY}). */
    public static String toPem(PrivateKey key) {
        return pem("PRIVATE KEY", key.getEncoded());
    }

    private static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    /**
      * Parses a PEM RSA public key, SubjectPublicKeyInfo or PKCS#1.
      *
      * @throws IllegalArgumentException if it is not one
      */
    public static PublicKey parsePublicKey(String pem) {
        try {
            KeyFactory f = KeyFactory.getInstance("RSA");
            if (pem.contains("-----BEGIN RSA PUBLIC KEY-----")) {
                byte[] pkcs1 = pemBody(pem, "RSA PUBLIC KEY");
                return f.generatePublic(new X509EncodedKeySpec(Der.subjectPublicKeyInfo(pkcs1)));
            }
            return f.generatePublic(new X509EncodedKeySpec(pemBody(pem, "PUBLIC KEY")));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an RSA public key: " + e.getMessage(), e);
        }
    }

    /**
      * Parses a PEM RSA private key, PKCS#8 or PKCS#1.
      *
      * @throws IllegalArgumentException if it is not one
      */
    public static PrivateKey parsePrivateKey(String pem) {
        try {
            KeyFactory f = KeyFactory.getInstance("RSA");
            if (pem.contains("-----BEGIN RSA PRIVATE KEY-----")) {
                byte[] pkcs1 = pemBody(pem, "RSA PRIVATE KEY");
                return f.generatePrivate(new PKCS8EncodedKeySpec(Der.privateKeyInfo(pkcs1)));
            }
            return f.generatePrivate(new PKCS8EncodedKeySpec(pemBody(pem, "PRIVATE KEY")));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not an RSA private key: " + e.getMessage(), e);
        }
    }

    private static byte[] pemBody(String pem, String type) {
        String begin = "-----BEGIN " + type + "-----";
        String end = "-----END " + type + "-----";
        int b = pem.indexOf(begin);
        int e = pem.indexOf(end);
        if (b < 0 || e < b) {
            throw new IllegalArgumentException("no PEM block '" + type + "'");
        }
        String body = pem.substring(b + begin.length(), e).replaceAll("\\s", "");
        try {
            return Base64.getDecoder().decode(body.getBytes(StandardCharsets.US_ASCII));
        } catch (IllegalArgumentException ex) {
            throw new IllegalArgumentException("bad base64 in PEM block '" + type + "'", ex);
        }
    }

    /** Just enough DER to wrap PKCS#1 RSA keys in their X.509 / PKCS#8 envelopes. */
    private static final class Der {
        /** AlgorithmIdentifier { rsaEncryption 1.2.840.113549.1.1.1, NULL }. */
        private static final byte[] RSA_ALGORITHM = {
            0x30, 0x0d, 0x06, 0x09, 0x2a, (byte) 0x86, 0x48, (byte) 0x86, (byte) 0xf7, 0x0d, 0x01, 0x01,
            0x01, 0x05, 0x00,
        };

        static byte[] subjectPublicKeyInfo(byte[] pkcs1) {
            byte[] bitString = new byte[pkcs1.length + 1];
            System.arraycopy(pkcs1, 0, bitString, 1, pkcs1.length);
            return sequence(RSA_ALGORITHM, tlv(0x03, bitString));
        }

        static byte[] privateKeyInfo(byte[] pkcs1) {
            return sequence(new byte[] {0x02, 0x01, 0x00}, RSA_ALGORITHM, tlv(0x04, pkcs1));
        }

        private static byte[] sequence(byte[]... parts) {
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            for (byte[] p : parts) {
                body.writeBytes(p);
            }
            return tlv(0x30, body.toByteArray());
        }

        private static byte[] tlv(int tag, byte[] value) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            out.write(tag);
            int n = value.length;
            if (n < 0x80) {
                out.write(n);
            } else if (n < 0x100) {
                out.write(0x81);
                out.write(n);
            } else if (n < 0x10000) {
                out.write(0x82);
                out.write(n >> 8);
                out.write(n);
            } else {
                out.write(0x83);
                out.write(n >> 16);
                out.write(n >> 8);
                out.write(n);
            }
            out.writeBytes(value);
            return out.toByteArray();
        }
    }
}
