package io.baton.proxy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Connection attributes shared between the sessions that sent the same ones: every session of one client program
 * does (driver, version, runtime, host, pid), and each keeps them for the server logins Baton opens for it. One map
 * per distinct set instead of one per session, about 1 KiB of an idle session's heap. Bounded: past
 * {@link #MAX} distinct sets the table starts over (sessions keep the maps they hold).
 */
final class SharedAttributes {
    static final int MAX = 1024;
    private final ConcurrentHashMap<Map<String, String>, Map<String, String>> known = new ConcurrentHashMap<>();

    /** The shared, unmodifiable map with {@code attributes}' entries ({@code attributes} itself when null or empty). */
    Map<String, String> of(Map<String, String> attributes) {
        if (attributes == null || attributes.isEmpty()) {
            return attributes;
        }
        Map<String, String> k = known.get(attributes);
        if (k != null) {
            return k;
        }
        if (known.size() >= MAX) {
            known.clear(); // a new generation: the sets in use come back with their next sessions
        }
        Map<String, String> frozen = Collections.unmodifiableMap(new LinkedHashMap<>(attributes));
        Map<String, String> raced = known.putIfAbsent(frozen, frozen);
        return raced != null ? raced : frozen;
    }

    int size() {
        return known.size();
    }
}
