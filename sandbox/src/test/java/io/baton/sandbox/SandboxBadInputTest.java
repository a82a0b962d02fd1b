package io.baton.sandbox;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SandboxBadInputTest {

    @Test
    void aPortInUseIsRefusedBeforeAnythingStarts(@TempDir Path tmp) throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = taken.getLocalPort();
            Path dir = tmp.resolve("sb");
            SandboxException e = assertThrows(SandboxException.class,
                    () -> Sandbox.up(SandboxOptions.defaults(dir).withBasePort(port)));
            assertTrue(e.getMessage().contains("port " + port + " on 127.0.0.1 is in use"), e.getMessage());
            assertFalse(Files.exists(dir.resolve("db1")), "nothing may be left behind");
        }
    }

    @Test
    void statusAndDownOfAnEmptyDirectorySayThereIsNoSandbox(@TempDir Path tmp) {
        SandboxException e = assertThrows(SandboxException.class, () -> Sandbox.status(tmp));
        assertTrue(e.getMessage().contains("holds no sandbox"), e.getMessage());
        assertThrows(SandboxException.class, () -> Sandbox.down(tmp, false));
    }

    @Test
    void optionsAreValidated(@TempDir Path tmp) {
        assertThrows(SandboxException.class, () -> SandboxOptions.defaults(tmp).withReplicas(-1));
        assertThrows(SandboxException.class, () -> SandboxOptions.defaults(tmp).withReplicas(10));
        assertThrows(SandboxException.class, () -> SandboxOptions.defaults(tmp).withBasePort(80));
    }
}
