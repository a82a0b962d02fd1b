package io.baton.admin.cluster;

import io.baton.admin.config.BatonConfig;
import java.io.File;
import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A Baton node in a JVM of its own ({@code baton proxy --config F}, as an operator runs it), so that a test can
 * kill -9 it or pause it with SIGSTOP like a crashed or hung machine. Ended by PID when the test is done.
 */
final class ChildNode implements AutoCloseable {
    private final Process process;
    private final BatonConfig config;
    private final Path log;

    private ChildNode(Process process, BatonConfig config, Path log) {
        this.process = process;
        this.config = config;
        this.log = log;
    }

    static ChildNode start(BatonConfig config) throws IOException, InterruptedException {
        Path dir = Files.createTempDirectory("baton-child");
        Path file = dir.resolve("baton.yml");
        BatonConfig.mapper().writeValue(file.toFile(), config);
        Path log = dir.resolve("baton.log");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(List.of(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                "io.baton.admin.cli.BatonCli", "proxy", "--config", file.toString()))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        ChildNode n = new ChildNode(p, config, log);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!n.listens()) {
            if (!p.isAlive() || System.nanoTime() > deadline) {
                String tail = n.logTail();
                n.close();
                throw new IllegalStateException("the child Baton did not start: " + tail);
            }
            Thread.sleep(50);
        }
        return n;
    }

    private boolean listens() {
        try (Socket s = new Socket("127.0.0.1", config.proxy.port)) {
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    int port() {
        return config.proxy.port;
    }

    long pid() {
        return process.pid();
    }

    /** kill -9: no shutdown hook, the ZooKeeper session ends only by expiring. */
    void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    void pause() throws IOException, InterruptedException {
        signal("STOP");
    }

    void resume() throws IOException, InterruptedException {
        signal("CONT");
    }

    private void signal(String sig) throws IOException, InterruptedException {
        if (!process.isAlive()) {
            throw new IllegalStateException("child Baton " + pid() + " is not running");
        }
        Process k = new ProcessBuilder("kill", "-" + sig, Long.toString(process.pid())).inheritIO().start();
        if (!k.waitFor(5, TimeUnit.SECONDS) || k.exitValue() != 0) {
            throw new IllegalStateException("kill -" + sig + " " + process.pid() + " failed");
        }
        // Each thread stops only as it next runs: until all have, the event loop may still take a statement.
        if (sig.equals("STOP") && !io.baton.sandbox.ServerProcess.awaitStopped(process.pid(), 5_000)) {
            throw new IllegalStateException("child Baton " + process.pid() + " did not stop within 5 s of SIGSTOP");
        }
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return lines.subList(Math.max(0, lines.size() - 20), lines.size()).stream()
                    .map(l -> l.length() > 300 ? l.substring(0, 300) + "…" : l).collect(java.util.stream.Collectors.joining("\n"));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            try {
                signal("CONT"); // a paused JVM cannot run its shutdown hook
            } catch (IOException | RuntimeException e) {
                // ending it anyway
            }
            process.destroy();
            if (!process.waitFor(15, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(10, TimeUnit.SECONDS);
            }
        }
        File dir = log.getParent().toFile();
        if (!Boolean.getBoolean("baton.keepChildLogs")) {
            for (File f : dir.listFiles()) {
                f.delete();
            }
            dir.delete();
        }
    }
}
