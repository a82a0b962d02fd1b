package io.baton.perf.drill;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The drill lists an old source's unsent GTIDs one by one to commit them empty on the new source. */
class FailoverDrillGtidsTest {
    private static final String A = "3e11fa47-71ca-11e1-9e33-c80aa9429562";
    private static final String B = "4f22ab58-82db-22f2-af44-d91bba530673";

    @Test
    void listsEveryGtidOfEveryInterval() {
        assertEquals(List.of(A + ":7", A + ":9", A + ":10", A + ":11", B + ":1"),
                FailoverDrillCommand.gtids(A + ":7:9-11," + B + ":1", 100));
    }

    @Test
    void anEmptySetListsNothing() {
        assertEquals(List.of(), FailoverDrillCommand.gtids("", 100));
    }

    @Test
    void refusesMoreThanItsBound() {
        assertThrows(IllegalArgumentException.class, () -> FailoverDrillCommand.gtids(A + ":1-1001", 1000));
    }
}
