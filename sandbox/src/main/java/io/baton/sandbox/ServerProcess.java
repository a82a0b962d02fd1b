package io.baton.sandbox;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

/**
 * Starting and ending server processes (mysqld, ZooKeeper) by PID, only ever those this sandbox
 * started. A PID alone is not proof: before any signal, the process's command line must hold a
 * {@code mark} only our server has (its datadir, its config file), so a reused PID is left alone.
 */
public final class ServerProcess {
    /** The first line of a Java stack trace: "java.lang.NoClassDefFoundError: ...". */
    private static final Pattern JAVA_THROWABLE = Pattern.compile("[a-z][\\w.]*\\.\\w*(Exception|Error)\\b");

    private ServerProcess() {
    }

    /**
     * Starts a server in its own session (setsid), so a Ctrl-C aimed at the CLI does not reach it and it
     * outlives the JVM that started it. setsid execs in place: the PID returned is the server's.
     * Its stdout and stderr are appended to {@code stdout}.
     */
    public static long spawn(List<String> command, Path stdout) throws IOException {
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
        return isOurs(pid, datadirMark(datadir));
    }

    /** mysqld's mark: the datadir flag, with the argument's end so db1 is not taken for db10. */
    static String datadirMark(Path datadir) {
        return "--datadir=" + datadir.toAbsolutePath().normalize() + " ";
    }

    /**
     * True when PID is alive (not a zombie) and its command line contains {@code mark}, where each
     * argument ends with a space (so a mark naming a whole argument ends with one too).
     */
    public static boolean isOurs(long pid, String mark) {
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
            return cmdline.contains(mark) && !isZombie(pid);
        } catch (IOException e) {
            return false;
        }
    }

    /**
     * The process runs (exists and is not a zombie). A server that exited may stay a zombie for a while when
     * its parent is not the JVM (it was started under setsid) and PID 1 is slow to reap it.
     */
    public static boolean running(long pid) {
        return !isZombie(pid);
    }

    private static boolean isZombie(long pid) {
        char state = procState(pid);
        return state == 'Z' || state == '?';
    }

    /** The state letter of /proc/PID/stat (R, S, T, Z, ...), '?' when there is no such process. */
    private static char procState(long pid) {
        return stateIn(Path.of("/proc", Long.toString(pid), "stat"));
    }

    /** The state letter of a /proc stat file (a process's or one of its threads'), '?' when it cannot be read. */
    private static char stateIn(Path stat) {
        try {
            String text = Files.readString(stat);
            int close = text.lastIndexOf(')');
            return close > 0 && text.length() > close + 2 ? text.charAt(close + 2) : '?';
        } catch (IOException e) {
            return '?';
        }
    }

    /** SIGTERM, then SIGKILL after the grace period. Returns once the process is gone. */
    static void stop(long pid, Path datadir, long graceMillis) {
        stop(pid, datadirMark(datadir), graceMillis);
    }

    /**
     * SIGTERM, then SIGKILL after the grace period. Returns once the process is gone. A stopped
     * (SIGSTOP) process gets SIGCONT first: it would hold SIGTERM pending for the whole grace period.
     */
    public static void stop(long pid, String mark, long graceMillis) {
        if (!isOurs(pid, mark)) {
            return;
        }
        ProcessHandle h = ProcessHandle.of(pid).orElse(null);
        if (h == null) {
            return;
        }
        if (isStopped(pid)) {
            try {
                signal(pid, mark, "CONT");
            } catch (SandboxException gone) {
                // it went away meanwhile: nothing left to stop
            }
        }
        h.destroy();
        if (!waitGone(pid, graceMillis)) {
            h.destroyForcibly();
            waitGone(pid, 10_000);
        }
    }

    /** Stops several processes at once (PID to mark), each as {@link #stop(long, String, long)}. */
    public static void stopAll(Map<Long, String> marksByPid, long graceMillis) {
        List<Thread> threads = new ArrayList<>();
        marksByPid.forEach((pid, mark) -> {
            Thread t = new Thread(() -> stop(pid, mark, graceMillis), "stop-" + pid);
            t.start();
            threads.add(t);
        });
        for (Thread t : threads) {
            try {
                t.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /** SIGKILL (for failure drills: the server gets no chance to shut down). */
    static void kill(long pid, Path datadir) {
        kill(pid, datadirMark(datadir));
    }

    /** SIGKILL (for failure drills: the server gets no chance to shut down). */
    public static void kill(long pid, String mark) {
        if (isOurs(pid, mark)) {
            ProcessHandle.of(pid).ifPresent(ProcessHandle::destroyForcibly);
            waitGone(pid, 10_000);
        }
    }

    /**
     * Sends a signal by name (STOP, CONT) with kill(1), which ProcessHandle cannot: SIGSTOP freezes a
     * server without closing its sockets, the way a long GC pause or a hung host looks to its peers.
     */
    public static void signal(long pid, String mark, String name) {
        if (!isOurs(pid, mark)) {
            throw new SandboxException("process " + pid + " is not running (or not ours); not sending SIG" + name);
        }
        try {
            Process p = new ProcessBuilder("kill", "-" + name, Long.toString(pid)).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.waitFor() != 0) {
                throw new SandboxException("kill -" + name + " " + pid + " failed: " + out);
            }
            if (name.equals("STOP") && !awaitStopped(pid, 5_000)) {
                throw new SandboxException("process " + pid + " did not stop within 5 s of SIGSTOP");
            }
        } catch (IOException e) {
            throw new SandboxException("kill -" + name + " " + pid + " failed: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted");
        }
    }

    /**
     * Waits until every thread of the process is stopped (state T), at most {@code millis}. SIGSTOP stops a
     * multi-threaded process only as each thread next runs: until then, one of its threads may still read a socket
     * and act on what it read, so a test that pauses a server and then sends it something must wait for this.
     */
    public static boolean awaitStopped(long pid, long millis) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(millis);
        while (!allThreadsStopped(pid)) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Thread.sleep(1);
        }
        return true;
    }

    /** Whether no thread of the process runs: each stopped (T, t) or ended (Z, X, gone); true for a process gone. */
    private static boolean allThreadsStopped(long pid) {
        Path dir = Path.of("/proc", Long.toString(pid), "task");
        if (!Files.isDirectory(dir)) {
            return true; // the process itself is gone: nothing of it runs
        }
        try (java.util.stream.Stream<Path> tasks = Files.list(dir)) {
            return tasks.allMatch(t -> {
                char state = stateIn(t.resolve("stat")); // '?': a thread that ended meanwhile
                return state == 'T' || state == 't' || state == 'Z' || state == 'X' || state == '?';
            });
        } catch (IOException | java.io.UncheckedIOException e) {
            return !Files.isDirectory(dir);
        }
    }

    /** True when the process is stopped by a signal (state T), e.g. after SIGSTOP. */
    public static boolean isStopped(long pid) {
        return procState(pid) == 'T';
    }

    /**
     * Waits until the process has fully exited. Its command line empties early in exit, before its
     * sockets close, so this watches the process state instead: gone, or a zombie (resources freed).
     */
    static boolean waitGone(long pid, long millis) {
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

    /**
     * The last lines of a log file that carry errors, for error messages: error lines, and a Java
     * exception's own lines (a JVM server logs "ERROR ... died" and says why in the trace below it).
     */
    public static String tail(Path log, int lines) {
        try {
            List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
            List<String> errors = all.stream().filter(l -> l.contains("ERROR") || l.contains("error") || l.startsWith("Error:")
                    || l.startsWith("Caused by:") || JAVA_THROWABLE.matcher(l).lookingAt()).toList();
            List<String> pick = errors.isEmpty() ? all : errors;
            return String.join(" | ", pick.subList(Math.max(0, pick.size() - lines), pick.size())).strip();
        } catch (IOException e) {
            return "(no log at " + log + ")";
        }
    }
}
