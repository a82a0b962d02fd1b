package io.baton.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/** Starting and ending mysqld processes by PID, only ever those this sandbox started. */
final class ServerProcess {
    private ServerProcess() {
    }

    /**
     * Starts mysqld in its own session (setsid), so a Ctrl-C aimed at the CLI does not reach it and it
     * outlives the JVM that started it. setsid execs in place: the PID returned is mysqld's.
     */
    static long spawn(List<String> command, Path stdout) throws IOException {
        List<String> cmd = new ArrayList<>();
        cmd.add("setsid");
        cmd.addAll(command);
        Process p = new ProcessBuilder(cmd)
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(stdout.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")))
                .start();
        return p.pid();
    }

    /** True when PID is alive and is the mysqld serving this datadir (a reused PID is not ours). */
    static boolean isOurs(long pid, Path datadir) {
        if (pid <= 0) {
            return false;
        }
        Optional<ProcessHandle> h = ProcessHandle.of(pid);
        if (h.isEmpty() || !h.get().isAlive()) {
            return false;
        }
        try {
            byte[] raw = Files.readAllBytes(Path.of("/proc", Long.toString(pid), "cmdline"));
            String cmdline = new String(raw, StandardCharsets.UTF_8).replace('\0', ' ');
            return cmdline.contains("--datadir=" + datadir.toAbsolutePath().normalize() + " ")
                    && !isZombie(pid);
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isZombie(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            int close = stat.lastIndexOf(')');
            return close > 0 && stat.length() > close + 2 && stat.charAt(close + 2) == 'Z';
        } catch (IOException e) {
            return true;
        }
    }

    /** SIGTERM, then SIGKILL after the grace period. Returns once the process is gone. */
    static void stop(long pid, Path datadir, long graceMillis) {
        if (!isOurs(pid, datadir)) {
            return;
        }
        ProcessHandle h = ProcessHandle.of(pid).orElse(null);
        if (h == null) {
            return;
        }
        h.destroy();
        if (!waitGone(pid, datadir, graceMillis)) {
            h.destroyForcibly();
            waitGone(pid, datadir, 10_000);
        }
    }

    /** SIGKILL (for failure drills: the server gets no chance to shut down). */
    static void kill(long pid, Path datadir) {
        if (isOurs(pid, datadir)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            waitGone(pid, datadir, 10_000);
        }
    }

    /**
     * Waits until the process has fully exited. Its command line empties early in exit, before its
     * sockets close, so this watches the process state instead: gone, or a zombie (resources freed).
     */
    static boolean waitGone(long pid, Path datadir, long millis) {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (Files.exists(Path.of("/proc", Long.toString(pid))) && !isZombie(pid)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            try {
                Thread.sleep(25);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }
        return true;
    }

    /** The last lines of a log file that carry errors, for error messages. */
    static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> errors = all.stream().filter(l -> l.contains("ERROR") || l.contains("[ERROR]") || l.contains("error")).toList();
            List<String> pick = errors.isEmpty() ? all : errors;
            return String.join(" | ", pick.subList(Math.max(0, pick.size() - lines), pick.size())).strip();
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }
}
