package io.baton.admin.cli;

import io.baton.admin.failover.FailoverEngine;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** {@code ./baton rejoin --config FILE NAME [--force]}: make a server (the old source) a replica of the source. */
@Command(name = "rejoin", mixinStandardHelpOptions = true,
        description = {"Make NAME (typically the old source, back after a failover) a replica of the current source.",
                "Errant transactions (on NAME but not on the source) are reported exactly and block the rejoin",
                "unless --force is given."})
public final class RejoinCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Configuration file.")
    Path config;
    @Parameters(index = "0", paramLabel = "NAME", description = "The server to rejoin.")
    String server;
    @Option(names = "--force", description = "Replicate even though NAME has errant transactions (they stay on NAME only).")
    boolean force;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return ProcedureRunner.run(config, spec.commandLine().getOut(),
                (FailoverEngine e) -> e.rejoin(server, force, "manual (CLI)"));
    }
}
