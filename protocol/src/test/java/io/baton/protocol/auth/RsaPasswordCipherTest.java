package io.baton.protocol.auth;

import static io.baton.protocol.TestBytes.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.ProtocolException;
import java.nio.charset.StandardCharsets;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import org.junit.jupiter.api.Test;

/**
  * The fixture was made with OpenSSL 3.0, independently of this code:
  *
  * <pre>
  * openssl genrsa -traditional -out priv.pem 1024           # PKCS#1, like MySQL's private_key.pem
  * openssl rsa -in priv.pem -pubout -out pub.pem            # SubjectPublicKeyInfo, like public_key.pem
  * openssl rsa -in priv.pem -RSAPublicKey_out               # PKCS#1 public key
  * python3 -c 'import sys; pw=b"secret\0"; s=bytes(range(1,21));
  *   sys.stdout.buffer.write(bytes(b ^ s[i % 20] for i, b in enumerate(pw)))' > plain.bin
  * openssl pkeyutl -encrypt -pubin -inkey pub.pem -pkeyopt rsa_padding_mode:oaep -in plain.bin -out ct.bin
  * xxd -p ct.bin
  * </pre>
  */
class RsaPasswordCipherTest {

    private static final byte[] NONCE = hex("0102030405060708090a0b0c0d0e0f1011121314");

    private static final String PKCS1_PRIVATE = """
            -----BEGIN RSA PRIVATE KEY-----
            MIICXAIBAAKBgQDHNOrgnBPzt2mBFl9V5ymSxHnLW0lMjAcVfOt2Pzg9N90SIaNd
            pzVRMmDU+5/FuZibp0QsTprLKTvsFZNM0l8JNcfM+URRve8x9j6R5NKrAjO0Nz9o
            Gs/60EPkQ38s+rlPK9TRegpfVsbayU2/vzyKZKnZTukOaVaPkgRkJj7rpwIDAQAB
            AoGAKAzDjBTVDhK563IMCMFI4nEN64yW2ATvB6rtzAA51lT85UBOD+4mEgUG4ssT
            /DSsMd8XHbFP/bh0i6pqyu8gm+Z/C9j8bDVCvRePpNqkx3b7V79yYCpaCI9ekq45
            Mp89tTLL+mwUqhIdRSoSrGR6tIiZn0+kuYRoaEz/riWdpEECQQDt1XxJ4OkAhA1N
            SCWUT4t/Wf8nIlgBNXkd4gqLXZlD0Vs+28vcABxa0yLjoQ8ezBbjTy2OWW6wDhBi
            theZ+B4dAkEA1mwhRu5r+KjOCdyJBn5rSjfFBLm/fkg5tBvdgw2Cc+hVN7a0opC/
            grnpLrtUoE0l4SMuwjFAu0Q1Z2r+Qv5VkwJAFtDHFpND5u/EEujb6gljeXkZuBhc
            VulZUBuSJWJ6RH4+AZ62RMmh7riYfTvDJpIvk+jRlvlPXAZNXhrX0sZxpQJAdZ+l
            dZKu2h5HwHMhG9XXp0QGqPv4Rx75wIqUriKIEGs/7Csm1hLPa7fuabtLxg/sGp/B
            M7fvCYt2PEAeMMPyTwJBAMOGvIBQ7RAi+lY0fXrGChDbCngdq+lvogKhH+tuM8uq
            K/we15ftDUNEGYshs01C7vWY+elE+J7qYX4nBmHeFKU=
            -----END RSA PRIVATE KEY-----
            """;

    private static final String SPKI_PUBLIC = """
            -----BEGIN PUBLIC KEY-----
            MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDHNOrgnBPzt2mBFl9V5ymSxHnL
            W0lMjAcVfOt2Pzg9N90SIaNdpzVRMmDU+5/FuZibp0QsTprLKTvsFZNM0l8JNcfM
            +URRve8x9j6R5NKrAjO0Nz9oGs/60EPkQ38s+rlPK9TRegpfVsbayU2/vzyKZKnZ
            TukOaVaPkgRkJj7rpwIDAQAB
            -----END PUBLIC KEY-----
            """;

    private static final String PKCS1_PUBLIC = """
            -----BEGIN RSA PUBLIC KEY-----
            MIGJAoGBAMc06uCcE/O3aYEWX1XnKZLEectbSUyMBxV863Y/OD033RIho12nNVEy
            YNT7n8W5mJunRCxOmsspO+wVk0zSXwk1x8z5RFG97zH2PpHk0qsCM7Q3P2gaz/rQ
            Q+RDfyz6uU8r1NF6Cl9WxtrJTb+/PIpkqdlO6Q5pVo+SBGQmPuunAgMBAAE=
            -----END RSA PUBLIC KEY-----
            """;

    /** RSA-OAEP(("secret" + NUL) XOR nonce) by openssl pkeyutl. */
    private static final byte[] OPENSSL_CIPHERTEXT = hex(
            "254af86a5347cbf0e9b9f6b347e4774268b58e844380b3f9ac4c847442b9057098ecae954a04133d7d899e3d9ed0ac10"
                    + "eec191a2f3d6f0fecbd8e738b4f2941b04b619e70845487ecb1f1ff5eb6422416f4dddb65a7cae10f82f8dff344f02"
                    + "77d0b6a11a60d33bad5d5455ab57ee9426a05c99b492eaa5c5687f303f43ebc7fe");

    @Test
    void decryptsWhatOpensslEncrypted() {
        PrivateKey key = RsaPasswordCipher.parsePrivateKey(PKCS1_PRIVATE);
        assertArrayEquals("secret".getBytes(StandardCharsets.US_ASCII),
                RsaPasswordCipher.decrypt(OPENSSL_CIPHERTEXT, NONCE, key));
        // The wrong nonce leaves no NUL terminator: refused.
        byte[] otherNonce = hex("ff".repeat(20));
        assertThrows(ProtocolException.class, () -> RsaPasswordCipher.decrypt(OPENSSL_CIPHERTEXT, otherNonce, key));
        assertThrows(ProtocolException.class, () -> RsaPasswordCipher.decrypt(new byte[128], NONCE, key));
        assertThrows(ProtocolException.class, () -> RsaPasswordCipher.decrypt(new byte[5], NONCE, key));
    }

    @Test
    void publicKeyFormsAgree() {
        PublicKey spki = RsaPasswordCipher.parsePublicKey(SPKI_PUBLIC);
        PublicKey pkcs1 = RsaPasswordCipher.parsePublicKey(PKCS1_PUBLIC);
        assertEquals(spki, pkcs1);
        RSAPrivateCrtKey priv = (RSAPrivateCrtKey) RsaPasswordCipher.parsePrivateKey(PKCS1_PRIVATE);
        assertEquals(((RSAPublicKey) spki).getModulus(), priv.getModulus());
        assertEquals(SPKI_PUBLIC.strip(), RsaPasswordCipher.toPem(spki).strip());
    }

    @Test
    void clientEncryptServerDecryptRoundTrip() {
        byte[] password = "correct horse battery staple".getBytes(StandardCharsets.UTF_8);
        byte[] ct = RsaPasswordCipher.encrypt(password, NONCE, SPKI_PUBLIC);
        assertEquals(128, ct.length);
        assertArrayEquals(password, RsaPasswordCipher.decrypt(ct, NONCE, RsaPasswordCipher.parsePrivateKey(PKCS1_PRIVATE)));
        assertThrows(ProtocolException.class, () -> RsaPasswordCipher.encrypt(password, NONCE, "not a key"));
    }

    @Test
    void generatedKeysExportAndReimport() {
        KeyPair pair = RsaPasswordCipher.generateKeyPair(1024);
        String pub = RsaPasswordCipher.toPem(pair.getPublic());
        String priv = RsaPasswordCipher.toPem(pair.getPrivate());
        assertTrue(pub.startsWith("-----BEGIN PUBLIC KEY-----\n"));
        assertTrue(priv.startsWith("-----BEGIN PRIVATE KEY-----\n"));
        byte[] ct = RsaPasswordCipher.encrypt(new byte[0], NONCE, pub);
        assertEquals(0, RsaPasswordCipher.decrypt(ct, NONCE, RsaPasswordCipher.parsePrivateKey(priv)).length);
        // 1024-bit OAEP-SHA1 holds 128 - 42 = 86 bytes: a password of 85 bytes plus the NUL.
        RsaPasswordCipher.encrypt(new byte[85], NONCE, pair.getPublic());
        assertThrows(IllegalArgumentException.class, () -> RsaPasswordCipher.encrypt(new byte[86], NONCE, pair.getPublic()));
    }
}
