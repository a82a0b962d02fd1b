package io.baton.perf.drill;

import io.baton.admin.cli.CliException;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The drill's PyMySQL load: a Python process (the script {@code pymysql_load.py}) with several
 * sessions inserting through Baton and reconnecting 10 ms after any error, as a Python application
 * does; each acknowledged insert, error and reconnect comes back as one line on its stdout, timed
 * with the monotonic clock that {@link System#nanoTime} reads.
 */
final class PyMySqlLoad {
    /** An acknowledged insert or an error: id or errno, start and end on the monotonic clock. */
    interface Sink {
        void accept(long value, long startNanos, long endNanos);
    }

    private final Process process;
    private final Thread reader;

    private PyMySqlLoad(Process process, Thread reader) {
        this.process = process;
        this.reader = reader;
    }

    /** The Debian python3 (with python3-pymysql) when present, else python3 on the PATH. */
    static String python() {
        return Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";
    }

    /** Fails with one line saying what to install when PyMySQL cannot be imported. */
    static void check() {
        try {
            Process p = new ProcessBuilder(python(), "-c", "import pymysql").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            if (p.waitFor(30, TimeUnit.SECONDS) && p.exitValue() == 0) {
                return;
            }
            p.destroyForcibly();
        } catch (IOException e) {
            throw new CliException("the pymysql client needs python3: apt-get install python3-pymysql (or --clients jdbc)");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        throw new CliException("the pymysql client needs PyMySQL for " + python()
                + ": apt-get install python3-pymysql (or --clients jdbc)");
    }

    static PyMySqlLoad start(int port, String user, String password, int sessions, long firstId, Sink acked, Sink errors,
                             Runnable reconnected) throws IOException {
        Path script = Files.createTempFile("baton-drill-", ".py");
        try (InputStream in = PyMySqlLoad.class.getResourceAsStream("pymysql_load.py")) {
            if (in == null) {
                throw new IOException("pymysql_load.py is missing from the jar");
            }
            Files.write(script, in.readAllBytes());
        }
        script.toFile().deleteOnExit();
        ProcessBuilder pb = new ProcessBuilder(List.of(python(), script.toString(), String.valueOf(port), user,
                String.valueOf(sessions), String.valueOf(firstId)));
        pb.environment().put("DRILL_PASSWORD", password); // not on the command line
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.US_ASCII))) {
                String line;
                while ((line = r.readLine()) != null) {
                    String[] f = line.split(" ");
                    try {
                        switch (f[0]) {
                            case "A" -> acked.accept(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
                            case "E" -> errors.accept(Long.parseLong(f[1]), Long.parseLong(f[2]), Long.parseLong(f[3]));
                            case "R" -> reconnected.run();
                            default -> { } // not ours
                        }
                    } catch (RuntimeException malformed) {
                        // a line cut short as the process ends
                    }
                }
            } catch (IOException ended) {
                // the process is gone
            }
        }, "drill-pymysql-reader");
        reader.setDaemon(true);
        reader.start();
        return new PyMySqlLoad(p, reader);
    }

    /** Asks the sessions to stop and waits (bounded) for the process and the last of its lines. */
    void stop() throws InterruptedException {
        try (OutputStream in = process.getOutputStream()) {
            in.write('\n');
        } catch (IOException gone) {
            // already ended
        }
        if (!process.waitFor(40, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            process.waitFor(5, TimeUnit.SECONDS);
        }
        reader.join(5_000);
    }
}
