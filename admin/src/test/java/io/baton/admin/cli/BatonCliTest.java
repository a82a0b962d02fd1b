package io.baton.admin.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class BatonCliTest {
    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        var cl = BatonCli.commandLine();
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        return cl.execute(args);
    }

    /**
     * The launcher starts a proxy with the JVM options ProxyCommand names (the benchmarks use those; DockerFilesTest
     * checks the container's entry point).
     */
    @Test
    void theLauncherRunsAProxyWithItsJvmOptions() throws Exception {
        String launcher = java.nio.file.Files.readAllLines(java.nio.file.Path.of("..", "baton")).stream()
                .filter(l -> l.trim().startsWith("jvm=(-")).findFirst().orElse("");
        assertTrue(!ProxyCommand.JVM_OPTIONS.isEmpty());
        assertEquals(ProxyCommand.JVM_OPTIONS,
                java.util.List.of(launcher.trim().replaceAll("^jvm=\\(|\\)$", "").split(" ")),
                "./baton runs a proxy with ProxyCommand.JVM_OPTIONS: " + launcher);
    }

    @Test
    void helpListsTheSubcommands() {
        assertEquals(0, run("--help"));
        assertTrue(out.toString().contains("sandbox") && out.toString().contains("demo"), out.toString());
        assertEquals(0, run("sandbox", "up", "--help"));
        assertTrue(out.toString().contains("--replicas"), out.toString());
    }

    @Test
    void aWrongFlagIsOneLineAndExitCodeTwo() {
        assertEquals(2, run("sandbox", "status", "--dir", "x", "--bogus"));
        String e = err.toString().strip();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.startsWith("baton: Unknown option: '--bogus'"), e);
    }

    @Test
    void anUnknownFlavorIsAUsageErrorNamingTheChoices() {
        assertEquals(2, run("sandbox", "up", "--dir", "x", "--flavor", "oracle"));
        String e = err.toString().strip();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.contains("use one of: mysql80, mysql57, mariadb"), e);
    }

    @Test
    void aFailedCommandIsOneLineAndExitCodeOne(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
        assertEquals(1, run("sandbox", "status", "--dir", tmp.toString()));
        String e = err.toString().strip();
        assertEquals(1, e.lines().count(), e);
        assertTrue(e.contains("holds no sandbox"), e);
    }
}
