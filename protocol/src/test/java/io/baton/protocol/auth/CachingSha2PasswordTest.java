package io.baton.protocol.auth;

import static io.baton.protocol.TestBytes.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
  * Vectors: the first two are go-sql-driver/mysql's (auth_test.go, TestScrambleSHA256Pass); all are
  * reproducible with Python's hashlib:
  *
  * <pre>
  * python3 -c '
  * import hashlib
  * sha256 = lambda *a: hashlib.sha256(b"".join(a)).digest()
  * xor = lambda a, b: bytes(x ^ y for x, y in zip(a, b))
  * seed = bytes([10,47,74,111,75,73,34,48,88,76,114,74,37,13,3,80,82,2,23,21])
  * for pw in (b"secret", b"secret2"):
  *     print(xor(sha256(pw), sha256(sha256(sha256(pw)), seed)).hex())
  * print(sha256(sha256(b"secret")).hex())'
  * </pre>
  */
class CachingSha2PasswordTest {

    private static final byte[] NONCE = {10, 47, 74, 111, 75, 73, 34, 48, 88, 76, 114, 74, 37, 13, 3, 80, 82, 2, 23, 21};

    @Test
    void scrambleVectors() {
        assertArrayEquals(hex("f490e76f66d9d86665ce54d98c78d0acfe2fb0b08b423da807144873d30b312c"),
                CachingSha2Password.scramble("secret", NONCE));
        assertArrayEquals(hex("abc3934a012cf342e876071c8ee202de51785b430258a7a0138bc79c4d800bc6"),
                CachingSha2Password.scramble("secret2", NONCE));
        assertEquals(0, CachingSha2Password.scramble("", NONCE).length);
    }

    @Test
    void fastPathFromTheCachedHash() {
        byte[] cached = CachingSha2Password.fastAuthHash("secret");
        assertArrayEquals(hex("3881219d087dd9c634373fd33dfa33a2cb6bfc6c520b64b8bb60ef2ceb534ae7"), cached);
        byte[] response = hex("f490e76f66d9d86665ce54d98c78d0acfe2fb0b08b423da807144873d30b312c");
        assertTrue(CachingSha2Password.verifyFast(response, NONCE, cached));
        assertFalse(CachingSha2Password.verifyFast(CachingSha2Password.scramble("secret2", NONCE), NONCE, cached));
        assertFalse(CachingSha2Password.verifyFast(new byte[31], NONCE, cached));
        assertTrue(CachingSha2Password.verifyFast(new byte[0], NONCE, new byte[0]));
    }

    @Test
    void verifyFromCleartext() {
        byte[] pw = "secret".getBytes(StandardCharsets.UTF_8);
        assertTrue(CachingSha2Password.verify(CachingSha2Password.scramble(pw, NONCE), NONCE, pw));
        assertFalse(CachingSha2Password.verify(CachingSha2Password.scramble(pw, NONCE), NONCE, "x".getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void fullPathCleartext() {
        byte[] response = CachingSha2Password.cleartextResponse("pässword".getBytes(StandardCharsets.UTF_8));
        assertEquals(0, response[response.length - 1]);
        assertEquals("pässword", new String(CachingSha2Password.passwordFromCleartext(response), StandardCharsets.UTF_8));
        assertEquals(0x02, CachingSha2Password.REQUEST_PUBLIC_KEY);
        assertEquals(0x03, CachingSha2Password.FAST_AUTH_SUCCESS);
        assertEquals(0x04, CachingSha2Password.PERFORM_FULL_AUTHENTICATION);
    }

    @Test
    void cleartextAndStage1Hash() {
        byte[] cached = CachingSha2Password.fastAuthHash("secret");
        assertTrue(CachingSha2Password.verifyCleartext("secret".getBytes(StandardCharsets.UTF_8), cached));
        assertFalse(CachingSha2Password.verifyCleartext("secreT".getBytes(StandardCharsets.UTF_8), cached));
        byte[] otherNonce = hex("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4");
        byte[] stage1 = CachingSha2Password.recoverStage1Hash(CachingSha2Password.scramble("secret", NONCE), NONCE, cached);
        assertArrayEquals(CachingSha2Password.scramble("secret", otherNonce),
                CachingSha2Password.scrambleWithStage1Hash(stage1, otherNonce));
        assertEquals(null, CachingSha2Password.recoverStage1Hash(new byte[32], NONCE, cached));
    }
}
