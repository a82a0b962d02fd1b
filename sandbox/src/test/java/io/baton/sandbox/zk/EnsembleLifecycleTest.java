package io.baton.sandbox.zk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.sandbox.SandboxException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** up and down as the CLI does them, and an 'up' that fails: what is left behind, and what runs. */
class EnsembleLifecycleTest {

    @Test
    void cliUpRefusesASecondUpAndDownEndsEveryPidAndPurges(@TempDir Path tmp) {
        Path dir = tmp.resolve("zk");
        ZkCli.Run up = ZkCli.run("up", "--dir", dir.toString(), "--nodes", "3");
        try {
            assertEquals(0, up.exit(), up.err());
            assertTrue(up.out().contains("leader") && up.out().contains("follower"), up.out());
            List<Long> pids = EnsembleFile.read(dir).servers().stream().map(EnsembleFile.Server::pid).toList();
            assertEquals(3, pids.size());
            assertTrue(pids.stream().allMatch(EnsembleLifecycleTest::alive), pids.toString());

            ZkCli.Run again = ZkCli.run("up", "--dir", dir.toString());
            assertEquals(1, again.exit());
            assertOneLine(again.err(), "holds a running ZooKeeper ensemble");

            ZkCli.Run status = ZkCli.run("status", "--dir", dir.toString());
            assertEquals(0, status.exit(), status.err());
            assertEquals(4, status.out().lines().count(), status.out()); // a header and one line per server

            ZkCli.Run down = ZkCli.run("down", "--dir", dir.toString());
            assertEquals(0, down.exit(), down.err());
            assertTrue(pids.stream().noneMatch(EnsembleLifecycleTest::alive), "every pid ended: " + pids);
            assertTrue(Files.exists(dir.resolve("zk1/data/myid")), "down without --purge keeps the data");
            assertTrue(ZkCli.run("status", "--dir", dir.toString()).out().contains("down"));
        } finally {
            ZkCli.Run purge = ZkCli.run("down", "--dir", dir.toString(), "--purge");
            assertEquals(0, purge.exit(), purge.err());
        }
        assertFalse(Files.exists(dir), "--purge deletes the folder it emptied");
    }

    @Test
    void aSingleServerRunsStandaloneAndCloseStopsIt(@TempDir Path tmp) {
        Path dir = tmp.resolve("one");
        long pid;
        try (Ensemble e = Ensemble.up(EnsembleOptions.defaults(dir).withNodes(1))) {
            assertEquals("standalone", e.mode(1));
            assertEquals(1, e.leader());
            pid = e.file().server(1).pid();
            assertEquals("127.0.0.1:" + e.file().server(1).port(), e.connectString());
        }
        assertFalse(alive(pid));
        assertFalse(Files.exists(dir));
    }

    @Test
    void aPortInUseIsRefusedBeforeAnythingStarts(@TempDir Path tmp) throws Exception {
        try (ServerSocket taken = new ServerSocket()) {
            taken.bind(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0));
            int port = taken.getLocalPort();
            Path dir = tmp.resolve("zk");
            SandboxException e = assertThrows(SandboxException.class,
                    () -> Ensemble.up(EnsembleOptions.defaults(dir).withBasePort(port)));
            assertTrue(e.getMessage().contains("port " + port + " on 127.0.0.1 is in use"), e.getMessage());
            assertFalse(Files.exists(dir), "nothing may be left behind");
        }
    }

    @Test
    void aServerThatExitsDuringStartUpFailsUpWithItsErrorAndNothingRuns(@TempDir Path tmp) {
        Path dir = tmp.resolve("zk");
        SandboxException e = assertThrows(SandboxException.class, () -> Ensemble.up(EnsembleOptions.defaults(dir)
                .withNodes(1).withClasspath(tmp.resolve("no-such.jar").toString())));
        assertTrue(e.getMessage().contains("zk1 exited during start-up"), e.getMessage());
        assertTrue(e.getMessage().contains("QuorumPeerMain"), "the JVM's own error: " + e.getMessage());
        assertTrue(Ensemble.status(dir).stream().noneMatch(Ensemble.ServerState::alive));
        Ensemble.down(dir, true);
        assertFalse(Files.exists(dir));
    }

    static void assertOneLine(String err, String expected) {
        assertTrue(err.contains(expected), err);
        assertEquals(1, err.strip().lines().count(), "one line, no stack trace: " + err);
    }

    private static boolean alive(long pid) {
        return io.baton.sandbox.ServerProcess.running(pid); // a zombie awaiting its reaper has ended
    }
}
