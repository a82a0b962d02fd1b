package io.baton.sandbox.zk;

import static io.baton.sandbox.zk.EnsembleLifecycleTest.assertOneLine;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/** Every bad input of {@code zk} is one line and an exit code: 2 for usage, 1 for a command that cannot run. */
class ZkCommandBadInputTest {

    @Test
    void statusAndDownOfAMissingFolderSayItDoesNotExist(@TempDir Path tmp) {
        String missing = tmp.resolve("nope").toString();
        for (String cmd : new String[] {"status", "down"}) {
            ZkCli.Run r = ZkCli.run(cmd, "--dir", missing);
            assertEquals(1, r.exit(), cmd);
            assertOneLine(r.err(), missing + " does not exist");
        }
    }

    @Test
    void statusOfAFolderWithoutAnEnsembleExitsNonZero(@TempDir Path tmp) {
        ZkCli.Run r = ZkCli.run("status", "--dir", tmp.toString());
        assertEquals(1, r.exit());
        assertOneLine(r.err(), "holds no ZooKeeper ensemble");
    }

    @Test
    void zeroAndEvenNodeCountsAreUsageErrors(@TempDir Path tmp) {
        Path dir = tmp.resolve("zk");
        ZkCli.Run zero = ZkCli.run("up", "--dir", dir.toString(), "--nodes", "0");
        assertEquals(2, zero.exit());
        assertOneLine(zero.err(), "--nodes must be odd, from 1 to 9, not 0");
        ZkCli.Run two = ZkCli.run("up", "--dir", dir.toString(), "--nodes", "2");
        assertEquals(2, two.exit());
        assertOneLine(two.err(), "an even ensemble survives no more failures than one server fewer");
        assertFalse(Files.exists(dir), "nothing was started");
    }

    @Test
    void aFileGivenAsTheFolderIsRefused(@TempDir Path tmp) throws Exception {
        Path file = Files.writeString(tmp.resolve("a-file"), "x");
        ZkCli.Run r = ZkCli.run("up", "--dir", file.toString(), "--nodes", "1");
        assertEquals(1, r.exit());
        assertOneLine(r.err(), "exists and is not a directory");
    }

    @Test
    void aMissingDirIsAUsageError() {
        ZkCli.Run r = ZkCli.run("status");
        assertEquals(2, r.exit());
        assertOneLine(r.err(), "Missing required option: '--dir=<dir>'");
    }

    @Test
    void everyOptionHasHelpText() {
        CommandLine cl = new CommandLine(new ZkCommand());
        for (CommandLine sub : cl.getSubcommands().values()) {
            for (OptionSpec o : sub.getCommandSpec().options()) {
                assertTrue(o.description().length > 0 && !o.description()[0].isBlank(),
                        "zk " + sub.getCommandName() + " " + o.longestName() + " has help text");
            }
        }
        assertTrue(ZkCli.run("up", "--help").out().contains("--nodes"));
    }
}
