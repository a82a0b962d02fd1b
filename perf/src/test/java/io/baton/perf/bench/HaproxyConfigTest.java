package io.baton.perf.bench;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class HaproxyConfigTest {

    @Test
    void defaultThreadsLeaveNbthreadToHaproxy() {
        String cfg = Haproxy.config(40001, "127.0.0.1", 33100, 0);
        assertFalse(cfg.contains("nbthread"), cfg);
        assertTrue(cfg.contains("mode tcp") && cfg.contains("bind 127.0.0.1:40001")
                && cfg.contains("server source 127.0.0.1:33100"), cfg);
    }

    @Test
    void aThreadCountGoesIntoTheGlobalSection() {
        String cfg = Haproxy.config(40001, "127.0.0.1", 33100, 1);
        int global = cfg.indexOf("global");
        int nb = cfg.indexOf("nbthread 1");
        assertTrue(global >= 0 && nb > global && nb < cfg.indexOf("defaults"), cfg);
    }
}
