package io.baton.admin.failover;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

class HooksTest {
    @Test
    void aHookGetsTheOldAndNewSourceAsArguments() throws Exception {
        String r = Hooks.run("echo moved from", "failover", "db1", "db2", Duration.ofSeconds(5));
        assertTrue(r.contains("moved from db1 db2"), r);
        String env = Hooks.run("echo $BATON_EVENT $BATON_NEW_SOURCE; true", "switchover", "db1", "db3", Duration.ofSeconds(5));
        assertTrue(env.contains("switchover db3"), env);
    }

    @Test
    void aFailingOrHangingHookFails() {
        StepFailedException exit = assertThrows(StepFailedException.class,
                () -> Hooks.run("echo no DNS; exit 3", "failover", "db1", "db2", Duration.ofSeconds(5)));
        assertTrue(exit.getMessage().contains("exited with 3") && exit.getMessage().contains("no DNS"), exit.getMessage());
        long t0 = System.nanoTime();
        StepFailedException slow = assertThrows(StepFailedException.class,
                () -> Hooks.run("sleep 30; true", "failover", "db1", "db2", Duration.ofMillis(300)));
        assertTrue(slow.getMessage().contains("did not finish within 300 ms"), slow.getMessage());
        assertTrue(System.nanoTime() - t0 < 5_000_000_000L, "bounded by hookTimeout");
    }
}
