package io.baton.admin.cli;

import io.baton.admin.failover.FailoverEngine;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./baton switchover --config FILE --to NAME}: planned change of source, no write lost. */
@Command(name = "switchover", mixinStandardHelpOptions = true,
        description = {"Planned switchover with the source alive: make it read-only, wait until NAME has executed",
                "everything it wrote, promote NAME, repoint the other replicas and the old source. No write is lost."})
public final class SwitchoverCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Configuration file.")
    Path config;
    @Option(names = "--to", required = true, paramLabel = "NAME", description = "The replica to promote.")
    String to;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return ProcedureRunner.run(config, spec.commandLine().getOut(),
                (FailoverEngine e) -> e.switchover(to, "manual (CLI)"));
    }
}
