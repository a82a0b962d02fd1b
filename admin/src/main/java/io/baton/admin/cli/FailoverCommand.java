package io.baton.admin.cli;

import io.baton.admin.failover.FailoverEngine;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./baton failover --config FILE [--to NAME]}: the source is lost; promote a replica now. */
@Command(name = "failover", mixinStandardHelpOptions = true,
        description = {"Fail over from a lost source: stop the replicas' IO threads, let them apply their relay logs,",
                "promote the most advanced one (or --to NAME), repoint the others. Runs against the servers directly",
                "and prints each step with its duration. Refuses while the source is alive and writable (use switchover)."})
public final class FailoverCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Configuration file (e.g. the baton.yml that 'sandbox up' writes).")
    Path config;
    @Option(names = "--to", paramLabel = "NAME", description = "Promote this replica (refused if another replica is ahead of it).")
    String to;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        return ProcedureRunner.run(config, spec.commandLine().getOut(),
                (FailoverEngine e) -> e.failover(to, "manual (CLI)"));
    }
}
