package io.baton.perf.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * CPU time a proxy has used so far, in nanoseconds: of a process (utime + stime of /proc/PID/stat,
 * 10 ms resolution), or of Baton's event-loop threads when it runs in this JVM. Read at the start
 * and end of a measured window, it gives the proxy's CPU per event: on a shared machine, what the
 * proxy takes from the server.
 */
interface ProxyCpu {
    long nanos();

    static ProxyCpu ofProcess(long pid) {
        long tick = 10_000_000L; // USER_HZ is 100 on Linux
        Path stat = Path.of("/proc", Long.toString(pid), "stat");
        return () -> {
            try {
                String s = Files.readString(stat);
                String[] f = s.substring(s.lastIndexOf(')') + 2).split(" ");
                return (Long.parseLong(f[11]) + Long.parseLong(f[12])) * tick; // fields 14 and 15
            } catch (IOException | RuntimeException e) {
                return -1;
            }
        };
    }

    /** Threads of this JVM whose names start with {@code prefix} (Baton's are baton-io-N). */
    static ProxyCpu ofThreads(String prefix) {
        ThreadMXBean mx = ManagementFactory.getThreadMXBean();
        return () -> {
            long sum = 0;
            for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
                if (t != null && t.getThreadName().startsWith(prefix)) {
                    long c = mx.getThreadCpuTime(t.getThreadId());
                    sum += Math.max(0, c);
                }
            }
            return sum;
        };
    }
}
