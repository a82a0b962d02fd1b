package io.baton.proxy;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/** Every client session by Baton's own connection id (the id clients see and KILL). */
public final class SessionRegistry {
    private final Map<Long, ClientSession> sessions = new ConcurrentHashMap<>();
    /**
     * Baton's connection ids start far above the servers' thread ids, which count from 1: a thread id read from a
     * server's process list (an idle pooled connection's, say) is then never taken for a Baton session's id by KILL
     * (docs/connection-ids.md).
     */
    static final long FIRST_ID = 1_000_000_000L;
    private final AtomicLong nextId = new AtomicLong(FIRST_ID);
    private final AtomicInteger open = new AtomicInteger();

    long nextId() {
        long id = nextId.getAndIncrement() & 0xFFFFFFFFL;
        return id == 0 ? nextId.getAndIncrement() : id;
    }

    /** Reserves a slot; false when {@code max} sessions are open already. */
    boolean reserve(int max) {
        while (true) {
            int n = open.get();
            if (n >= max) {
                return false;
            }
            if (open.compareAndSet(n, n + 1)) {
                return true;
            }
        }
    }

    void release() {
        open.decrementAndGet();
    }

    void add(ClientSession s) {
        sessions.put(s.id(), s);
    }

    void remove(ClientSession s) {
        sessions.remove(s.id());
    }

    public ClientSession get(long id) {
        return sessions.get(id);
    }

    public Collection<ClientSession> all() {
        return sessions.values();
    }

    /** Sessions connected (slots taken), including those still logging in. */
    public int open() {
        return open.get();
    }
}
