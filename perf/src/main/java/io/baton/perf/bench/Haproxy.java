package io.baton.perf.bench;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * HAProxy in TCP mode in front of the source, as people run it to give MySQL a fixed endpoint: one
 * frontend on a free loopback port, one server, no health checks, no logging. Started in the
 * foreground ({@code -db}) so it is our child and is ended by its PID.
 */
final class Haproxy implements AutoCloseable {
    private final ChildProcess process;
    private final int port;

    private Haproxy(ChildProcess process, int port) {
        this.process = process;
        this.port = port;
    }

    /** The haproxy binary on PATH (or Debian's /usr/sbin/haproxy, off a non-root PATH), if installed. */
    static Optional<Path> binary() {
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : (path + File.pathSeparator + "/usr/sbin").split(File.pathSeparator)) {
            if (!dir.isEmpty()) {
                Path p = Path.of(dir, "haproxy");
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** {@code threads} 0 leaves HAProxy's own default (one thread per CPU). */
    static String config(int port, String backendHost, int backendPort, int threads) {
        return """
                # Written by './baton bench': HAProxy in TCP mode in front of the sandbox source.
                global
                    maxconn 4096
                %s

                defaults
                    mode tcp
                    timeout connect 5s
                    timeout client 1h
                    timeout server 1h

                listen mysql
                    bind 127.0.0.1:%d
                    server source %s:%d
                """.formatted(threads > 0 ? "    nbthread " + threads : "", port, backendHost, backendPort);
    }

    static Haproxy start(Path binary, Path workDir, String backendHost, int backendPort, int threads)
            throws IOException, InterruptedException {
        int port = LoopbackPort.free();
        Files.createDirectories(workDir);
        Path cfg = workDir.resolve("haproxy.cfg");
        Files.writeString(cfg, config(port, backendHost, backendPort, threads));
        ChildProcess p = ChildProcess.start("haproxy", List.of(binary.toString(), "-db", "-f", cfg.toString()),
                workDir.resolve("haproxy.log"));
        try {
            p.awaitListening(port, 10_000);
        } catch (RuntimeException | InterruptedException e) {
            p.close();
            throw e;
        }
        return new Haproxy(p, port);
    }

    /** {@code haproxy -v}'s version, e.g. 2.6.12-1+deb12u4. */
    static String version(Path binary) {
        try {
            Process p = new ProcessBuilder(binary.toString(), "-v").redirectErrorStream(true).start();
            String first = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).lines()
                    .findFirst().orElse("");
            p.waitFor();
            String[] words = first.split("\\s+");
            return words.length >= 3 ? words[2] : first;
        } catch (IOException e) {
            return "unknown (" + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "unknown";
        }
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    @Override
    public void close() {
        process.close();
    }
}
