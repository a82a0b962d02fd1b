package io.baton.perf.bench;

import io.baton.admin.cli.BatonCli;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Baton as a separate JVM ({@code baton proxy --config DIR/baton.yml}) on free ports, from the same
 * jar or class path as this harness: what the memory check measures (its RSS is Baton's alone) and
 * what {@code bench --baton process} routes through.
 */
final class BatonProcess implements AutoCloseable {
    private final ChildProcess process;
    private final int port;
    private final int readPort;

    private BatonProcess(ChildProcess process, int port, int readPort) {
        this.process = process;
        this.port = port;
        this.readPort = readPort;
    }

    /** The read-only port (reads on the replicas). */
    int readPort() {
        return readPort;
    }

    static BatonProcess start(Path config, List<String> javaOptions, Path log) throws IOException, InterruptedException {
        int port = LoopbackPort.free();
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(io.baton.admin.cli.ProxyCommand.JVM_OPTIONS); // as ./baton proxy runs; --baton-java-opts win
        cmd.addAll(javaOptions);
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(BatonCli.class.getName());
        int readPort = LoopbackPort.free();
        cmd.addAll(List.of("proxy", "--config", config.toString(), "--port", Integer.toString(port),
                "--read-port", Integer.toString(readPort), "--admin-port", Integer.toString(LoopbackPort.free()),
                "--metrics-port", Integer.toString(LoopbackPort.free())));
        ChildProcess p = ChildProcess.start("baton", cmd, log);
        try {
            p.awaitListening(port, 60_000);
        } catch (RuntimeException | InterruptedException e) {
            p.close();
            throw e;
        }
        return new BatonProcess(p, port, readPort);
    }

    int port() {
        return port;
    }

    long pid() {
        return process.pid();
    }

    boolean isAlive() {
        return process.isAlive();
    }

    String logTail() {
        return process.tail();
    }

    @Override
    public void close() {
        process.close();
    }
}
