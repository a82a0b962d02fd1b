package io.baton.admin.failover;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

/**
 * The operator's commands run before and after a failover (the manual's {@code nsupdate} idea, for
 * whoever still needs DNS to follow). A hook runs through {@code /bin/sh -c} with the old and the
 * new source as {@code $1} and {@code $2} (also {@code BATON_OLD_SOURCE}, {@code BATON_NEW_SOURCE},
 * {@code BATON_EVENT}), bounded by {@code failover.hookTimeout}. A non-zero exit fails the hook.
 */
public final class Hooks {
    private Hooks() {
    }

    /** Runs a hook and returns its result line; throws when it fails, times out or cannot start. */
    public static String run(String command, String event, String oldSource, String newSource, Duration timeout)
            throws StepFailedException {
        ProcessBuilder pb = new ProcessBuilder("/bin/sh", "-c", command + " \"$@\"", "baton-hook",
                nz(oldSource), nz(newSource));
        pb.environment().put("BATON_EVENT", event);
        pb.environment().put("BATON_OLD_SOURCE", nz(oldSource));
        pb.environment().put("BATON_NEW_SOURCE", nz(newSource));
        pb.redirectErrorStream(true);
        Process p;
        try {
            p = pb.start();
        } catch (IOException e) {
            throw new StepFailedException("cannot start '" + command + "': " + e.getMessage(), e);
        }
        StringBuilder output = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                output.append(new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8));
            } catch (IOException ignored) {
                // the process was ended
            }
        }, "baton-hook-output");
        reader.setDaemon(true);
        reader.start();
        try {
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.descendants().forEach(ProcessHandle::destroyForcibly);
                p.destroyForcibly();
                throw new StepFailedException("'" + command + "' did not finish within " + timeout.toMillis() + " ms; ended it");
            }
            reader.join(1000);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            p.destroyForcibly();
            throw new StepFailedException("interrupted while running '" + command + "'", e);
        }
        String out;
        synchronized (output) {
            out = output.toString().strip().replace('\n', ' ');
        }
        if (out.length() > 300) {
            out = out.substring(0, 300) + "...";
        }
        if (p.exitValue() != 0) {
            throw new StepFailedException("'" + command + "' exited with " + p.exitValue() + (out.isEmpty() ? "" : ": " + out));
        }
        return "'" + command + "' " + nz(oldSource) + " " + nz(newSource) + " exited 0" + (out.isEmpty() ? "" : ": " + out);
    }

    private static String nz(String s) {
        return s == null ? "" : s;
    }
}
