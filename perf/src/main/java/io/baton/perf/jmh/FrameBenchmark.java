package io.baton.perf.jmh;

import io.baton.protocol.Packets;
import io.netty.buffer.ByteBuf;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Frame headers: decoding one header, and scanning a cumulation of 106 frames (a 100-row result
 * set) with {@link Packets#completeFrameLength} as the backend reader does.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class FrameBenchmark {
    private ByteBuf cumulation;

    @Setup(Level.Trial)
    public void setUp() {
        cumulation = WireFixtures.textResultSet(100);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        cumulation.release();
    }

    /** Length and sequence id of the first frame. */
    @Benchmark
    public int headerDecode() {
        return Packets.payloadLength(cumulation, 0) + Packets.sequenceId(cumulation, 0);
    }

    /** Every frame boundary of the cumulation; returns the number of frames (106). */
    @Benchmark
    public int scanCumulation() {
        int pos = cumulation.readerIndex();
        int frames = 0;
        int n;
        while ((n = Packets.completeFrameLength(cumulation, pos, Packets.MAX_PAYLOAD)) > 0) {
            frames += Packets.sequenceId(cumulation, pos) >= 0 ? 1 : 0;
            pos += n;
        }
        return frames;
    }
}
