package io.baton.admin.cli;

import io.baton.sandbox.Flavor;
import io.baton.sandbox.ReplicationMode;
import io.baton.sandbox.Sandbox;
import io.baton.sandbox.SandboxOptions;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./baton demo}: a sandbox of 1 source + 3 replicas (MySQL 8.0.31, GTID) with connection
 * instructions; Ctrl-C tears it all down.
 */
@Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Start a local topology (1 source + 3 replicas, MySQL 8.0.31, GTID) and show how to use it; Ctrl-C stops everything.")
public final class DemoCommand implements Callable<Integer> {
    @Option(names = "--dir", defaultValue = "demo", description = "Folder for the demo's servers (default: ${DEFAULT-VALUE}); removed on exit.")
    Path dir;
    @Option(names = "--replicas", defaultValue = "3", description = "Number of replicas (default: ${DEFAULT-VALUE}).")
    int replicas;
    @Option(names = "--flavor", defaultValue = "mysql80", description = "mysql80, mysql57 or mariadb (default: ${DEFAULT-VALUE}).")
    String flavor;
    @Option(names = "--exit-after", defaultValue = "0", hidden = true, description = "Tear down after this many seconds (0: wait for Ctrl-C).")
    int exitAfterSeconds;

    @Override
    public Integer call() throws InterruptedException {
        Path d = dir.toAbsolutePath().normalize();
        SandboxOptions o = SandboxOptions.defaults(d).withReplicas(replicas).withFlavor(Flavor.parse(flavor))
                .withMode(ReplicationMode.GTID);
        System.out.println("starting 1 source + " + replicas + " replicas (" + o.flavor() + ", gtid) in " + d + " ...");
        SandboxTopology t = Sandbox.up(o);
        CountDownLatch done = new CountDownLatch(1);
        Thread teardown = new Thread(() -> {
            System.out.println("\nstopping the demo topology ...");
            t.close();
            System.out.println("demo stopped; no server left running.");
            done.countDown();
        }, "demo-teardown");
        Runtime.getRuntime().addShutdownHook(teardown);
        TopologyFile f = t.file();
        TopologyFile.Server src = t.initialSource();
        TopologyFile.User app = f.user("app");
        System.out.println();
        System.out.println("Baton demo topology is up: " + f.flavor() + " " + f.version() + ", " + f.mode());
        for (TopologyFile.Server s : f.servers()) {
            System.out.printf("  %-4s %-8s %s:%d%n", s.name(), s.role(), s.host(), s.port());
        }
        System.out.println();
        System.out.println("Connect to the source:");
        System.out.printf("  mariadb -h%s -P%d -u%s -p%s app%n", src.host(), src.port(), app.user(), app.password());
        System.out.println("Try a failure drill in another terminal:");
        System.out.println("  ./baton sandbox status --dir " + d);
        System.out.println("  ./baton sandbox kill --dir " + d + " " + src.name());
        System.out.println("  ./baton sandbox start --dir " + d + " " + src.name());
        System.out.println();
        System.out.println("Press Ctrl-C to stop everything.");
        if (exitAfterSeconds > 0) {
            Thread.sleep(exitAfterSeconds * 1000L);
            Runtime.getRuntime().removeShutdownHook(teardown);
            teardown.run();
            return 0;
        }
        done.await();
        return 0;
    }
}
