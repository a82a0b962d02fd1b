package io.baton.sandbox.junit;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Stops what an extension started for a test class: through the class's JUnit store once the class
 * is done (passed or failed), and through a shutdown hook when the JVM ends first (a killed build).
 */
final class Teardown {
    private static final Set<AutoCloseable> LIVE = ConcurrentHashMap.newKeySet();

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> LIVE.forEach(Teardown::closeQuietly), "sandbox-teardown"));
    }

    private Teardown() {
    }

    /** Puts {@code resource} in the store under {@code key} and closes it when the store is closed. */
    static <T extends AutoCloseable> void register(ExtensionContext.Store store, String key, T resource) {
        LIVE.add(resource);
        store.put(key + ".teardown", (ExtensionContext.Store.CloseableResource) () -> {
            LIVE.remove(resource);
            resource.close();
        });
        store.put(key, resource);
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            c.close();
        } catch (Exception ignored) {
            // best effort at JVM exit
        }
    }
}
