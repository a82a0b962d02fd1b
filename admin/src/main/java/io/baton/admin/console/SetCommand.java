package io.baton.admin.console;

import io.baton.admin.BatonNode;
import io.baton.admin.console.ConsoleCommands.Caller;
import io.baton.admin.config.BatonConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SET &lt;key&gt; = &lt;value&gt;: changes one runtime setting of a running node ({@link Settings} says which keys
 * are runtime ones and how each is applied), logged at INFO with the value before and after.
 */
final class SetCommand {
    private static final Logger log = LoggerFactory.getLogger(ConsoleCommands.class);

    private final BatonNode node;
    private final BatonConfig config;

    SetCommand(BatonNode node) {
        this.node = node;
        this.config = node.config();
    }

    /** One SET at a time: the proxy's limits are rebuilt from the whole configuration on each change. */
    synchronized Reply set(List<String> args, Caller caller) {
        if (args.size() != 3 || !args.get(1).equals("=")) {
            return Reply.error("SET needs <key> = <value>, e.g. SET failover.auto = false; runtime settings: "
                    + String.join(", ", Settings.runtimeKeys()));
        }
        String key = args.get(0);
        String value = args.get(2);
        Optional<Settings.Setting> s = Settings.runtime(key);
        if (s.isEmpty()) {
            String known = Settings.known(config, key);
            if (known != null) {
                return Reply.error(known + " cannot be changed at runtime: " + Settings.whyNotAtRuntime(known)
                        + ". Runtime settings: " + String.join(", ", Settings.runtimeKeys()));
            }
            List<String> close = new ArrayList<>();
            for (String k : Settings.allKeys(config)) {
                if (CommandCatalog.distance(k.toLowerCase(Locale.ROOT), key.toLowerCase(Locale.ROOT)) <= 3) {
                    close.add(k);
                }
            }
            return Reply.error("no setting '" + key + "'" + (close.isEmpty() ? "" : "; did you mean " + String.join(", ",
                    close.subList(0, Math.min(3, close.size()))) + "?") + " Runtime settings: "
                    + String.join(", ", Settings.runtimeKeys()) + " (SHOW CONFIG lists every key)");
        }
        Settings.Setting setting = s.get();
        Object before = setting.get().apply(config);
        try {
            setting.set().accept(config, value);
        } catch (IllegalArgumentException e) {
            return Reply.error(setting.key() + " takes " + setting.accepts() + ": " + e.getMessage());
        }
        setting.apply().accept(node);
        Object after = setting.get().apply(config);
        log.info("{}: SET {} = {} (was {})", caller.who(), setting.key(), after, before);
        return Reply.ok(setting.key() + " = " + after + " (was " + before + "); in effect now, not written to the"
                + " configuration file").data("key", setting.key()).data("value", after).data("previous", before);
    }
}
