package io.baton.perf;

import io.baton.admin.cli.Subcommand;
import io.baton.perf.bench.BenchCommand;

/** Contributes {@code ./baton bench} (and its idle-sessions and jmh subcommands) to the CLI. */
public final class BenchSubcommand implements Subcommand {
    @Override
    public Object command() {
        return new BenchCommand();
    }
}
