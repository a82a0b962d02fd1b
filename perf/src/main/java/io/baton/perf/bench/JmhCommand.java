package io.baton.perf.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Unmatched;

/**
 * {@code ./baton bench jmh [JMH options]}: the codec microbenchmarks of {@code io.baton.perf.jmh}
 * with JMH's own command line; by default {@code -f 1 -wi 2 -i 3} (about a minute and a half).
 */
@Command(name = "jmh", mixinStandardHelpOptions = true,
        description = {"Run the JMH codec microbenchmarks (frame decode, response framing, OK packets, auth scrambles).",
                "Arguments go to JMH (e.g. -f 1 -wi 2 -i 3, a benchmark regex, -prof gc, -rf json -rff FILE);",
                "default: -f 1 -wi 2 -i 3. Same as: java -cp perf/target/baton.jar org.openjdk.jmh.Main -f 1 -wi 2 -i 3"})
public final class JmhCommand implements Callable<Integer> {
    static final List<String> DEFAULTS = List.of("-f", "1", "-wi", "2", "-i", "3");

    @Unmatched
    List<String> jmhArgs = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        // JMH's own entry point: help, -l, -lprof and errors behave as documented by JMH.
        org.openjdk.jmh.Main.main((jmhArgs.isEmpty() ? DEFAULTS : jmhArgs).toArray(String[]::new));
        return 0;
    }
}
