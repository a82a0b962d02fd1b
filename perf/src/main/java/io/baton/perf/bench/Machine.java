package io.baton.perf.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The machine a result was measured on, for the JSON and the printed header. */
final class Machine {
    private Machine() {
    }

    static Map<String, Object> describe(String serverVersion) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("cpus", Runtime.getRuntime().availableProcessors());
        m.put("cpuModel", procField("/proc/cpuinfo", "model name"));
        String mem = procField("/proc/meminfo", "MemTotal");
        m.put("memTotalMiB", mem == null ? null : Long.parseLong(mem.replaceAll("\\D", "")) / 1024);
        m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        m.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        m.put("server", serverVersion);
        return m;
    }

    static String oneLine(Map<String, Object> m) {
        return m.get("cpus") + " CPUs (" + m.get("cpuModel") + "), " + m.get("memTotalMiB") + " MiB, " + m.get("java")
                + ", MySQL " + m.get("server");
    }

    private static String procField(String file, String key) {
        try {
            List<String> lines = Files.readAllLines(Path.of(file));
            for (String l : lines) {
                int colon = l.indexOf(':');
                if (colon > 0 && l.substring(0, colon).trim().equals(key)) {
                    return l.substring(colon + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            return null;
        }
        return null;
    }
}
