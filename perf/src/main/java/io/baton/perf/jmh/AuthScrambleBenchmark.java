package io.baton.perf.jmh;

import io.baton.protocol.auth.CachingSha2Password;
import io.baton.protocol.auth.NativePassword;
import java.util.Random;
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
import org.openjdk.jmh.annotations.Warmup;

/** The auth math of one login: mysql_native_password and caching_sha2_password scrambles. */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class AuthScrambleBenchmark {
    private byte[] password;
    private byte[] seed;

    @Setup(Level.Trial)
    public void setUp() {
        password = WireFixtures.bytes("Kq7vZt3pXw9mRb2nHc4d");
        seed = new byte[20];
        new Random(42).nextBytes(seed);
    }

    @Benchmark
    public byte[] nativePasswordScramble() {
        return NativePassword.scramble(password, seed);
    }

    @Benchmark
    public byte[] cachingSha2Scramble() {
        return CachingSha2Password.scramble(password, seed);
    }
}
