package io.baton.perf.jmh;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.message.OkPacket;
import org.junit.jupiter.api.Test;

/** The benchmark inputs are what they claim to be: the framer completes on their last frame. */
class WireFixturesTest {

    @Test
    void responsesCompleteOnTheirLastFrame() {
        ResponseFramerBenchmark b = new ResponseFramerBenchmark();
        b.setUp();
        try {
            assertEquals(1 + 4 + 100 + 1, b.textResultSet100Rows());
            assertEquals(1 + 1 + 1 + 1, b.pointSelectResponse());
        } finally {
            b.tearDown();
        }
    }

    @Test
    void frameScanSeesEveryFrame() {
        FrameBenchmark b = new FrameBenchmark();
        b.setUp();
        try {
            assertEquals(106, b.scanCumulation());
        } finally {
            b.tearDown();
        }
    }

    @Test
    void okPacketsDecode() {
        OkPacketBenchmark b = new OkPacketBenchmark();
        b.setUp();
        try {
            assertEquals(1, b.decodePlain().affectedRows());
            OkPacket withState = b.decodeWithSessionState();
            assertEquals(1, withState.sessionStateChanges().size());
            assertTrue(b.stripSessionState() > 0);
        } finally {
            b.tearDown();
        }
    }
}
