package io.baton.perf.jmh;

import io.baton.protocol.Command;
import io.baton.protocol.Packets;
import io.baton.protocol.ResponseFramer;
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
 * {@link ResponseFramer} over whole responses, frame by frame as the proxy feeds it: a 100-row text
 * result set (COM_QUERY) and a prepared point select (COM_STMT_EXECUTE, one binary row).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ResponseFramerBenchmark {
    private final ResponseFramer framer = new ResponseFramer();
    private ByteBuf resultSet100;
    private ByteBuf pointSelect;

    @Setup(Level.Trial)
    public void setUp() {
        resultSet100 = WireFixtures.textResultSet(100);
        pointSelect = WireFixtures.pointSelectResponse();
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        resultSet100.release();
        pointSelect.release();
    }

    @Benchmark
    public int textResultSet100Rows() {
        return follow(Command.COM_QUERY, resultSet100);
    }

    @Benchmark
    public int pointSelectResponse() {
        return follow(Command.COM_STMT_EXECUTE, pointSelect);
    }

    /** Feeds every frame; returns the number of frames up to COMPLETE (negative if it never completes). */
    private int follow(int command, ByteBuf in) {
        framer.begin(command, WireFixtures.CAPABILITIES);
        int pos = in.readerIndex();
        int frames = 0;
        int n;
        while ((n = Packets.completeFrameLength(in, pos, Packets.MAX_PAYLOAD)) > 0) {
            frames++;
            if (framer.onFrame(in, pos) == ResponseFramer.Step.COMPLETE) {
                return frames;
            }
            pos += n;
        }
        return -frames;
    }
}
