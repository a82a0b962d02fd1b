package io.baton.sandbox;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class DistributionTest {

    @Test
    void namesMissingLibrariesAndTheExactInstallCommand() {
        // ldd output of the 8.0.31 mysqld on a Debian 12 without libaio1 and libnuma1.
        String ldd = """
                \tlinux-vdso.so.1 (0x00007ffd)
                \tlibpthread.so.0 => /lib/x86_64-linux-gnu/libpthread.so.0 (0x00007f)
                \tlibaio.so.1 => not found
                \tlibnuma.so.1 => not found
                \tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f)
                """;
        assertEquals("/d/bin/mysqld cannot run: missing libaio.so.1, libnuma.so.1; install with: apt-get install -y libaio1 libnuma1",
                Distribution.missingLibraries(Path.of("/d/bin/mysqld"), ldd));
        assertNull(Distribution.missingLibraries(Path.of("/d/bin/mysqld"), "\tlibc.so.6 => /lib/libc.so.6 (0x1)\n"));
    }

    @Test
    void parsesFlavorsAndModesWithAClearError() {
        assertEquals(Flavor.MARIADB, Flavor.parse("MariaDB"));
        assertEquals(ReplicationMode.POSITION, ReplicationMode.parse("position"));
        SandboxException e = org.junit.jupiter.api.Assertions.assertThrows(SandboxException.class, () -> Flavor.parse("oracle"));
        assertEquals("unknown flavor 'oracle'; use one of: mysql80, mysql57, mariadb", e.getMessage());
    }
}
