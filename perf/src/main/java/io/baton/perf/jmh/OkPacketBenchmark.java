package io.baton.perf.jmh;

import io.baton.protocol.message.OkPacket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
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
 * OK packets: the full decode (a record, maybe with session state) and the raw-bytes
 * {@link OkPacket#stripSessionState} the proxy uses on the hot path.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class OkPacketBenchmark {
    private ByteBuf plain;
    private ByteBuf withSessionState;
    private ByteBuf out;

    @Setup(Level.Trial)
    public void setUp() {
        plain = WireFixtures.okPayload();
        withSessionState = WireFixtures.okWithSessionStatePayload();
        out = Unpooled.directBuffer(64);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        plain.release();
        withSessionState.release();
        out.release();
    }

    @Benchmark
    public OkPacket decodePlain() {
        plain.readerIndex(0);
        return OkPacket.decode(plain, WireFixtures.CAPABILITIES);
    }

    @Benchmark
    public OkPacket decodeWithSessionState() {
        withSessionState.readerIndex(0);
        return OkPacket.decode(withSessionState, WireFixtures.CAPABILITIES);
    }

    @Benchmark
    public int stripSessionState() {
        out.clear();
        withSessionState.readerIndex(0);
        OkPacket.stripSessionState(withSessionState, WireFixtures.CAPABILITIES, out);
        return out.writerIndex();
    }
}
