package io.baton.protocol.auth;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.Size;
import org.junit.jupiter.api.Test;

class Sha2StoredHashTest {
    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    @Test
    void matchesTheSha256CryptReferenceVectors() {
        // From "Unix crypt using SHA-256 and SHA-512" (Drepper): $5$saltstring / $5$rounds=10000$saltstringsaltst.
        assertEquals("5B8vYYiY.CVt1RlTTf8KbXBH3hsxY/GNooZaBBGWEc5",
                new String(Sha2StoredHash.crypt(ascii("Hello world!"), ascii("saltstring"), 5000), StandardCharsets.US_ASCII));
        assertEquals("3xv.VbSHBb41AL9AvLeujZkZRBAwqFMz2.opqey6IcA",
                new String(Sha2StoredHash.crypt(ascii("Hello world!"), ascii("saltstringsaltst"), 10000),
                        StandardCharsets.US_ASCII));
    }

    @Test
    void checksAPasswordAgainstAHashMadeByMysql8() {
        // SELECT HEX(authentication_string) for a caching_sha2_password user of a MySQL 8.0.31 sandbox;
        // its salt holds a control character (0x14), which is why operators copy the hex form.
        String hex = "244124303035241476487A405F554B47513D6A3F7C685542272B4965734E44693552562F6938336A36716C4C35474D54"
                + "7048743147594466644B705448694978334B2F41522F";
        Sha2StoredHash h = Sha2StoredHash.parse(hex);
        assertEquals(5000, h.rounds());
        assertTrue(h.matches(ascii("AaDW4j7UzuyoD7zNPMkR")));
        assertFalse(h.matches(ascii("AaDW4j7UzuyoD7zNPMkr")));
        assertFalse(h.matches(new byte[0]));
        assertArrayEquals(HexFormat.of().parseHex(hex.toLowerCase()), h.bytes(), "round trip to the stored bytes");
        assertTrue(Sha2StoredHash.parse("0x" + hex).matches(ascii("AaDW4j7UzuyoD7zNPMkR")));
    }

    @Test
    void createdHashesRoundTrip() {
        byte[] salt = ascii("abcdefghij0123456789");
        Sha2StoredHash h = Sha2StoredHash.create(ascii("secret"), salt, 5000);
        Sha2StoredHash back = Sha2StoredHash.parse(h.bytes());
        assertTrue(back.matches(ascii("secret")));
        assertEquals('$', (char) h.bytes()[0]);
        assertEquals("$A$005$abcdefghij0123456789", new String(h.bytes(), 0, 27, StandardCharsets.US_ASCII));
        assertFalse(h.toString().contains("abcdefghij"), "the salt is not shown");
    }

    @Test
    void rejectsWhatIsNotAStoredHash() {
        assertThrows(IllegalArgumentException.class, () -> Sha2StoredHash.parse("*6BB4837EB74329105EE4568DDA7DC67ED2CA2AD9"));
        assertThrows(IllegalArgumentException.class, () -> Sha2StoredHash.parse("2441243030"));
        assertThrows(IllegalArgumentException.class, () -> Sha2StoredHash.parse("zz"));
        assertThrows(IllegalArgumentException.class, () -> Sha2StoredHash.parse(new byte[70]));
        byte[] zeroRounds = Sha2StoredHash.create(ascii("x"), ascii("abcdefghij0123456789"), 5000).bytes();
        zeroRounds[5] = '0';
        assertThrows(IllegalArgumentException.class, () -> Sha2StoredHash.parse(zeroRounds));
    }

    @Test
    void theRoundsFieldIsHexAsTheServerWritesIt() {
        byte[] salt = ascii("abcdefghij0123456789");
        Sha2StoredHash h = Sha2StoredHash.create(ascii("secret"), salt, 10_000);
        assertEquals("$A$00A$", new String(h.bytes(), 0, 7, StandardCharsets.US_ASCII));
        Sha2StoredHash back = Sha2StoredHash.parse(h.bytes());
        assertEquals(10_000, back.rounds());
        assertTrue(back.matches(ascii("secret")));
        byte[] most = h.bytes();
        most[3] = 'F';
        most[4] = 'F';
        most[5] = 'F';
        assertEquals(0xFFF * 1000, Sha2StoredHash.parse(most).rounds(), "the server's largest digest_rounds");
    }

    @Test
    void aPasswordLongerThanTheServersLimitIsNeverHashed() {
        Sha2StoredHash h = Sha2StoredHash.create(ascii("x".repeat(256)), ascii("abcdefghij0123456789"), 5000);
        assertTrue(h.matches(ascii("x".repeat(256))));
        assertFalse(h.matches(new byte[1 << 20]), "a 1 MiB password is refused at once, not hashed");
    }

    /** Valid stored forms with one byte changed: each is rejected cleanly or parses to a hash the password fails. */
    @Property(tries = 300)
    void aMutatedStoredHashIsRejectedOrDoesNotMatch(@ForAll @IntRange(min = 0, max = 69) int at, @ForAll byte value) {
        byte[] s = VALID.clone();
        if (s[at] == value) {
            return;
        }
        s[at] = value;
        try {
            Sha2StoredHash h = Sha2StoredHash.parse(s);
            if (at >= 7) { // salt or digest changed: the password no longer matches
                assertFalse(h.matches(ascii("secret")));
            }
        } catch (IllegalArgumentException expected) {
            // rejected with the reason
        }
    }

    @Property(tries = 2000)
    void randomBytesAreRejectedWithIllegalArgument(@ForAll @Size(max = 100) byte[] input) {
        try {
            Sha2StoredHash.parse(input);
        } catch (IllegalArgumentException expected) {
            // rejected, as it should be for nearly every random input
        }
    }

    private static final byte[] VALID = Sha2StoredHash.create("secret".getBytes(StandardCharsets.US_ASCII),
            "abcdefghij0123456789".getBytes(StandardCharsets.US_ASCII), 5000).bytes();
}
