package io.baton.sandbox;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An initialized, never-started datadir per flavor and version, made once and copied for every
 * server: initializing takes seconds, copying a fraction of one.
 */
final class DatadirTemplate {
    private static final Logger log = LoggerFactory.getLogger(DatadirTemplate.class);

    private DatadirTemplate() {
    }

    /** The template's datadir, initializing it on first use (under a file lock, atomically). */
    static Path ensure(Distribution dist) {
        Path dir = Distribution.cacheRoot().resolve("templates").resolve(dist.flavor().id() + "-" + dist.version());
        Path data = dir.resolve("data");
        if (Files.isDirectory(data)) {
            return data;
        }
        try {
            Files.createDirectories(dir.getParent());
            try (FileChannel ch = FileChannel.open(dir.getParent().resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                if (Files.isDirectory(data)) {
                    return data;
                }
                Path tmp = dir.resolveSibling(dir.getFileName() + ".tmp");
                Fs.deleteTree(tmp);
                Files.createDirectories(tmp);
                long t0 = System.nanoTime();
                initialize(dist, tmp.resolve("data"), tmp.resolve("init.log"));
                Fs.deleteTree(dir);
                Files.move(tmp, dir);
                log.info("initialized the {} {} datadir template in {} ms", dist.flavor(), dist.version(),
                        (System.nanoTime() - t0) / 1_000_000);
                return data;
            }
        } catch (IOException e) {
            throw new SandboxException("could not create the datadir template in " + dir + ": " + e.getMessage(), e);
        }
    }

    private static void initialize(Distribution dist, Path data, Path logFile) throws IOException {
        List<String> cmd = new ArrayList<>();
        if (dist.flavor().isMariaDb()) {
            cmd.addAll(List.of("mariadb-install-db", "--no-defaults", "--auth-root-authentication-method=normal",
                    "--skip-test-db", "--user=root", "--datadir=" + data));
        } else {
            Path base = dist.basedir();
            cmd.addAll(List.of(dist.mysqld().toString(), "--no-defaults", "--initialize-insecure", "--user=root",
                    "--basedir=" + base, "--datadir=" + data, "--lc-messages-dir=" + base.resolve("share"),
                    "--innodb-flush-method=nosync", "--innodb-doublewrite=0", "--innodb-flush-log-at-trx-commit=0"));
            cmd.addAll(ServerFlags.innodbLogFlags(dist));
        }
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(logFile.toFile()).start();
        try {
            if (!p.waitFor(10, TimeUnit.MINUTES)) {
                p.destroyForcibly();
                throw new SandboxException("initializing a " + dist.flavor() + " datadir timed out; see " + logFile);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted while initializing a datadir");
        }
        if (p.exitValue() != 0) {
            throw new SandboxException("initializing a " + dist.flavor() + " datadir failed (exit " + p.exitValue() + "): "
                    + ServerProcess.tail(logFile, 5));
        }
        // A copy must not share the template's server_uuid: mysqld writes a new auto.cnf at first start.
        Files.deleteIfExists(data.resolve("auto.cnf"));
    }
}
