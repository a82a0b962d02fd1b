package io.baton.admin.console;

import com.fasterxml.jackson.databind.JsonNode;
import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.config.DurationText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.BiConsumer;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * What {@code SET} may change in a running Baton: the failover engine's and the console's settings
 * (read each time they are used), the monitor's interval (the schedule is replaced), the gate's
 * longest wait and the proxy's limits (handed to the running proxy). Everything else is read once
 * at start (listen addresses, TLS, I/O threads, credentials, hooks) and is refused with the reason;
 * changing it means editing the configuration file and restarting.
 */
final class Settings {
    private Settings() {
    }

    /**
     * A runtime-changeable setting: how to read it, how to parse a new value into the configuration,
     * and how to hand the configuration's new state to the running parts that copied it at start.
     */
    record Setting(String key, String accepts, Function<BatonConfig, Object> get, BiConsumer<BatonConfig, String> set,
                   Consumer<BatonNode> apply) {
        Setting(String key, String accepts, Function<BatonConfig, Object> get, BiConsumer<BatonConfig, String> set) {
            this(key, accepts, get, set, node -> { });
        }
    }

    /** The proxy holds its limits and the gate's wait as one value: rebuilt from the configuration. */
    private static final Consumer<BatonNode> PROXY = node -> node.proxy().updateLimits(BatonNode.settings(node.config()));

    private static final List<Setting> RUNTIME = List.of(
            new Setting("failover.auto", "true or false", c -> c.failover.auto, (c, v) -> c.failover.auto = bool(v)),
            new Setting("failover.autoRejoin", "true or false", c -> c.failover.autoRejoin,
                    (c, v) -> c.failover.autoRejoin = bool(v)),
            new Setting("failover.blockSeconds", "a whole number of seconds, 0 or more", c -> c.failover.blockSeconds,
                    (c, v) -> c.failover.blockSeconds = integer(v, 0, Integer.MAX_VALUE)),
            new Setting("failover.applyTimeout", "a duration such as 30s", c -> DurationText.format(c.failover.applyTimeout),
                    (c, v) -> c.failover.applyTimeout = duration(v, 1)),
            new Setting("failover.stopTimeout", "a duration such as 5s", c -> DurationText.format(c.failover.stopTimeout),
                    (c, v) -> c.failover.stopTimeout = duration(v, 1)),
            new Setting("failover.hookTimeout", "a duration such as 30s", c -> DurationText.format(c.failover.hookTimeout),
                    (c, v) -> c.failover.hookTimeout = duration(v, 1)),
            new Setting("failover.maxPromotionLagSeconds", "a whole number of seconds, 0 or more",
                    c -> c.failover.maxPromotionLagSeconds,
                    (c, v) -> c.failover.maxPromotionLagSeconds = integer(v, 0, Integer.MAX_VALUE)),
            new Setting("monitor.failedChecks", "a whole number, 1 or more", c -> c.monitor.failedChecks,
                    (c, v) -> c.monitor.failedChecks = integer(v, 1, Integer.MAX_VALUE)),
            new Setting("monitor.interval", "a duration of " + BatonConfig.MIN_MONITOR_INTERVAL_MS + "ms or more, such as"
                    + " 500ms", c -> DurationText.format(c.monitor.interval),
                    (c, v) -> c.monitor.interval = duration(v, BatonConfig.MIN_MONITOR_INTERVAL_MS),
                    node -> node.monitor().reschedule()),
            new Setting("gate.maxWait", "a duration such as 10s", c -> DurationText.format(c.gate.maxWait),
                    (c, v) -> c.gate.maxWait = duration(v, 1), PROXY),
            new Setting("limits.maxConnections", "a whole number, 1 or more (sessions open now stay open)",
                    c -> c.limits.maxConnections, (c, v) -> c.limits.maxConnections = integer(v, 1, Integer.MAX_VALUE),
                    PROXY),
            new Setting("limits.maxPacketBytes", "a whole number of bytes from " + BatonConfig.MIN_PACKET_BYTES + " to "
                    + BatonConfig.MAX_PACKET_BYTES, c -> c.limits.maxPacketBytes,
                    (c, v) -> c.limits.maxPacketBytes = integer(v, BatonConfig.MIN_PACKET_BYTES, BatonConfig.MAX_PACKET_BYTES),
                    PROXY),
            new Setting("limits.idleTimeout", "a duration such as 8h (open sessions count their idleness from the change)",
                    c -> DurationText.format(c.limits.idleTimeout), (c, v) -> c.limits.idleTimeout = duration(v, 1), PROXY),
            new Setting("limits.connectTimeout", "a duration such as 10s", c -> DurationText.format(c.limits.connectTimeout),
                    (c, v) -> c.limits.connectTimeout = duration(v, 1), PROXY),
            new Setting("limits.backendConnectTimeout", "a duration such as 5s",
                    c -> DurationText.format(c.limits.backendConnectTimeout),
                    (c, v) -> c.limits.backendConnectTimeout = duration(v, 1), PROXY),
            new Setting("admin.idleTimeout", "a duration such as 10m", c -> DurationText.format(c.admin.idleTimeout),
                    (c, v) -> c.admin.idleTimeout = duration(v, 1)),
            new Setting("admin.maxConnections", "a whole number, 1 or more", c -> c.admin.maxConnections,
                    (c, v) -> c.admin.maxConnections = integer(v, 1, Integer.MAX_VALUE)),
            new Setting("reads.maxLag", "a duration such as 5s (read sessions on a replica past it move at their next"
                    + " statement)", c -> DurationText.format(c.reads.maxLag), (c, v) -> c.reads.maxLag = duration(v, 1),
                    PROXY),
            new Setting("reads.fallback", "source or error", c -> c.reads.fallback,
                    (c, v) -> c.reads.fallback = oneOf(v, "source", "error"), PROXY),
            new Setting("reads.consistency", "eventual, session, user or global (sessions that chose their own keep it)",
                    c -> c.reads.consistency, (c, v) -> c.reads.consistency = consistency(c, v), PROXY),
            new Setting("reads.causalTimeout", "a duration such as 1s", c -> DurationText.format(c.reads.causalTimeout),
                    (c, v) -> c.reads.causalTimeout = duration(v, 1), PROXY));

    private static String oneOf(String v, String... allowed) {
        for (String a : allowed) {
            if (a.equalsIgnoreCase(v.strip())) {
                return a;
            }
        }
        throw new IllegalArgumentException("'" + v + "' is not " + String.join(" or ", allowed));
    }

    private static String consistency(BatonConfig c, String v) {
        io.baton.proxy.ProxySettings.Consistency level = io.baton.proxy.ProxySettings.Consistency.of(v);
        if (level == null) {
            throw new IllegalArgumentException("'" + v + "' is not eventual, session, user or global");
        }
        if (level != io.baton.proxy.ProxySettings.Consistency.EVENTUAL && "position".equals(c.replication.mode)) {
            throw new IllegalArgumentException(level.label() + " needs replication.mode gtid (Baton learns each write's"
                    + " GTID from its OK; binary log positions cannot say that)");
        }
        return level.label();
    }

    static List<String> runtimeKeys() {
        return RUNTIME.stream().map(Setting::key).toList();
    }

    static Optional<Setting> runtime(String key) {
        return RUNTIME.stream().filter(s -> s.key().equalsIgnoreCase(key)).findFirst();
    }

    /** Why a known key cannot be SET (it needs a restart, or only the file may set it). */
    static String whyNotAtRuntime(String key) {
        String k = key.toLowerCase(Locale.ROOT);
        if (k.endsWith("password") || k.endsWith("passwordfile") || k.endsWith("passwordhash")) {
            return "credentials are never changed from the console: change them in the configuration file and restart";
        }
        if (k.equals("failover.prehook") || k.equals("failover.posthook")) {
            return "a hook runs commands on this machine: only the configuration file may set it (restart to apply)";
        }
        if (k.equals("limits.iothreads")) {
            return "the proxy's event loops are made when it starts: change it in the configuration file and restart";
        }
        if (k.startsWith("proxy.") || k.startsWith("metrics.") || k.startsWith("admin.") || k.startsWith("tls.")) {
            return "listeners and TLS are set up when Baton starts: change it in the configuration file and restart";
        }
        return "it is read when Baton starts: change it in the configuration file and restart";
    }

    /** Every key of the configuration as text (lists as servers[0].name), passwords as *****. */
    static List<Map.Entry<String, String>> flatten(BatonConfig c) {
        JsonNode tree = BatonConfig.mapper().valueToTree(c);
        List<Map.Entry<String, String>> out = new ArrayList<>();
        flatten("", tree, out);
        return out;
    }

    /** The configuration as a JSON tree with passwords replaced by *****. */
    static JsonNode redacted(BatonConfig c) {
        JsonNode tree = BatonConfig.mapper().valueToTree(c);
        redact(tree);
        return tree;
    }

    private static void redact(JsonNode n) {
        if (n instanceof com.fasterxml.jackson.databind.node.ObjectNode o) {
            List<String> names = new ArrayList<>();
            o.fieldNames().forEachRemaining(names::add);
            for (String f : names) {
                if (isSecret(f)) {
                    if (!o.get(f).isNull()) {
                        o.put(f, "*****");
                    }
                } else {
                    redact(o.get(f));
                }
            }
        } else if (n != null && n.isArray()) {
            n.forEach(Settings::redact);
        }
    }

    private static boolean isSecret(String field) {
        return field.equalsIgnoreCase("password") || field.equalsIgnoreCase("passwordHash");
    }

    private static void flatten(String prefix, JsonNode n, List<Map.Entry<String, String>> out) {
        if (n.isObject()) {
            n.fields().forEachRemaining(e -> {
                String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
                if (isSecret(e.getKey())) {
                    out.add(Map.entry(key, e.getValue().isNull() ? "-" : "*****"));
                } else {
                    flatten(key, e.getValue(), out);
                }
            });
        } else if (n.isArray()) {
            if (n.isEmpty()) {
                out.add(Map.entry(prefix, "[]"));
            }
            for (int i = 0; i < n.size(); i++) {
                flatten(prefix + "[" + i + "]", n.get(i), out);
            }
        } else {
            out.add(Map.entry(prefix, n.isNull() ? "-" : n.asText()));
        }
    }

    /** The key with its canonical spelling if the configuration has it (lists by any index), else null. */
    static String known(BatonConfig c, String key) {
        for (Map.Entry<String, String> e : flatten(c)) {
            String k = e.getKey();
            if (k.equalsIgnoreCase(key)) {
                return k;
            }
        }
        return null;
    }

    static List<String> allKeys(BatonConfig c) {
        return flatten(c).stream().map(Map.Entry::getKey).toList();
    }

    private static boolean bool(String v) {
        return switch (v.toLowerCase(Locale.ROOT)) {
            case "true", "on", "yes", "1" -> true;
            case "false", "off", "no", "0" -> false;
            default -> throw new IllegalArgumentException("'" + v + "' is not true or false");
        };
    }

    private static int integer(String v, int min, int max) {
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("'" + v + "' is not a whole number");
        }
        if (n < min) {
            throw new IllegalArgumentException(n + " is less than " + min);
        }
        if (n > max) {
            throw new IllegalArgumentException(n + " is more than " + max);
        }
        return n;
    }

    /** As MySQL's wait_timeout: nothing Baton waits for needs more than a year. */
    private static final Duration MAX_DURATION = Duration.ofDays(365);

    private static Duration duration(String v, long minMillis) {
        Duration d;
        try {
            d = DurationText.parse(v);
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("'" + v + "' is too long");
        }
        if (d.compareTo(MAX_DURATION) > 0) {
            throw new IllegalArgumentException("'" + v + "' is longer than 365 days");
        }
        if (d.isZero() || d.isNegative()) {
            throw new IllegalArgumentException("'" + v + "' is not a positive duration");
        }
        if (d.toMillis() < minMillis) {
            throw new IllegalArgumentException("'" + v + "' is shorter than " + minMillis + "ms");
        }
        return d;
    }
}
