package io.baton.admin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DemoCommandTest {

    @Test
    void theDemoRunsBatonInFrontOfASandboxWithALoadAndLeavesNothingBehind(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("demo");
        StringWriter out = new StringWriter();
        var cl = BatonCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        int code = cl.execute("demo", "--dir", dir.toString(), "--replicas", "1", "--load", "--load-threads", "2",
                "--exit-after", "4");
        String text = out.toString();
        assertEquals(0, code, text);
        assertTrue(text.contains("mariadb -h127.0.0.1 -P6033 -uapp -p"), text);
        assertTrue(text.contains("./baton sandbox kill --dir " + dir.toAbsolutePath() + " db1"), text);
        Matcher m = Pattern.compile("load: (\\d+) acknowledged writes, (\\d+) errors").matcher(text);
        assertTrue(m.find(), text);
        assertTrue(Long.parseLong(m.group(1)) > 0, "the load wrote through Baton: " + text);
        assertEquals("0", m.group(2), text);
        assertFalse(Files.exists(dir.resolve("db1")), "the topology is purged");
        assertFalse(Files.exists(dir.resolve("topology.json")));
    }

    @Test
    void theDemoWithTwoNodesRunsACluster(@TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("demo");
        StringWriter out = new StringWriter();
        var cl = BatonCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        int code = cl.execute("demo", "--dir", dir.toString(), "--replicas", "1", "--nodes", "2", "--load",
                "--load-threads", "2", "--exit-after", "4");
        String text = out.toString();
        assertEquals(0, code, text);
        assertTrue(text.contains("Baton cluster 'demo' of 2 nodes on ZooKeeper 127.0.0.1:"), text);
        assertTrue(text.contains("jdbc:mysql://127.0.0.1:6033,127.0.0.1:"), text);
        assertTrue(text.contains("-e \"SHOW CLUSTER\""), text);
        Matcher m = Pattern.compile("load: (\\d+) acknowledged writes, (\\d+) errors").matcher(text);
        assertTrue(m.find(), text);
        assertTrue(Long.parseLong(m.group(1)) > 0, "the load wrote through the cluster: " + text);
        assertEquals("0", m.group(2), text);
        assertFalse(Files.exists(dir.resolve("zk").resolve("ensemble.json")), "the ensemble is down and purged");
        assertFalse(Files.exists(dir.resolve("db1")), "the topology is purged");
    }
}
