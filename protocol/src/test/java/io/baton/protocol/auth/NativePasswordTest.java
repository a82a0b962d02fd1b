package io.baton.protocol.auth;

import static io.baton.protocol.TestBytes.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
  * Vectors computed independently with Python's hashlib:
  *
  * <pre>
  * python3 -c '
  * import hashlib
  * sha1 = lambda *a: hashlib.sha1(b"".join(a)).digest()
  * xor = lambda a, b: bytes(x ^ y for x, y in zip(a, b))
  * seed = bytes(range(1, 21)); pw = b"secret"
  * print(xor(sha1(pw), sha1(seed, sha1(sha1(pw)))).hex())   # scramble
  * print(sha1(sha1(pw)).hex())                               # stored hash
  * print("*" + sha1(sha1(b"password")).hex().upper())'       # PASSWORD("password")
  * </pre>
  */
class NativePasswordTest {

    private static final byte[] SEED = hex("0102030405060708090a0b0c0d0e0f1011121314");

    @Test
    void scrambleVector() {
        assertArrayEquals(hex("b32bb3a583e1340c0a1108d58b1be49781ad8c2f"), NativePassword.scramble("secret", SEED));
        // A 21-byte seed (scramble + NUL as in AuthSwitchRequest) gives the same answer.
        assertArrayEquals(NativePassword.scramble("secret", SEED), NativePassword.scramble("secret", Arrays.copyOf(SEED, 21)));
        assertEquals(0, NativePassword.scramble("", SEED).length);
    }

    @Test
    void storedHashMatchesMysqlPasswordFunction() {
        assertEquals("*2470C0C06DEE42FD1618BB99005ADCA2EC9D1E19",
                NativePassword.formatStoredHash(NativePassword.storedHash("password")));
        assertArrayEquals(hex("14e65567abdb5135d0cfd9a70b3032c179a49ee7"), NativePassword.storedHash("secret"));
        byte[] parsed = NativePassword.parseStoredHash("*14E65567ABDB5135D0CFD9A70B3032C179A49EE7");
        assertArrayEquals(NativePassword.storedHash("secret"), parsed);
        assertEquals(0, NativePassword.parseStoredHash("").length);
        assertThrows(IllegalArgumentException.class, () -> NativePassword.parseStoredHash("14E65567"));
        assertThrows(IllegalArgumentException.class, () -> NativePassword.parseStoredHash("*" + "G".repeat(40)));
    }

    @Test
    void serverVerifiesAgainstTheStoredHash() {
        byte[] stored = NativePassword.storedHash("secret");
        assertTrue(NativePassword.verify(hex("b32bb3a583e1340c0a1108d58b1be49781ad8c2f"), SEED, stored));
        assertFalse(NativePassword.verify(NativePassword.scramble("Secret", SEED), SEED, stored));
        assertFalse(NativePassword.verify(NativePassword.scramble("secret", SEED), hex("ff".repeat(20)), stored));
        assertFalse(NativePassword.verify(new byte[0], SEED, stored));
        assertFalse(NativePassword.verify(new byte[19], SEED, stored));
        // Empty password: only an empty response passes.
        assertTrue(NativePassword.verify(new byte[0], SEED, new byte[0]));
        assertFalse(NativePassword.verify(new byte[20], SEED, new byte[0]));
    }

    @Test
    void stage1HashAnswersAnotherSeed() {
        byte[] stored = NativePassword.storedHash("secret");
        byte[] otherSeed = hex("a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4");
        byte[] stage1 = NativePassword.recoverStage1Hash(NativePassword.scramble("secret", SEED), SEED, stored);
        assertArrayEquals(NativePassword.scramble("secret", otherSeed), NativePassword.scrambleWithStage1Hash(stage1, otherSeed));
        assertEquals(null, NativePassword.recoverStage1Hash(NativePassword.scramble("wrong", SEED), SEED, stored));
    }
}
