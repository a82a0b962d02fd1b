package io.baton.admin.cli;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.config.ConfigException;
import io.baton.admin.failover.FailoverEngine;
import io.baton.admin.failover.FailoverReport;
import io.baton.admin.failover.LoggingRoutingControl;
import io.baton.admin.failover.ReportHistory;
import io.baton.admin.topology.Monitor;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * What the failover, switchover and rejoin commands share: load the configuration, run the procedure
 * directly against the servers (no proxy in this process: routing calls are only logged), print the
 * report, exit 0 on success and 1 with a one-line reason otherwise. Reports are kept in
 * {@code failover.reportDir}, by default {@code baton-reports/} next to the configuration file.
 */
final class ProcedureRunner {
    private ProcedureRunner() {
    }

    static BatonConfig load(Path file) {
        try {
            return BatonConfig.load(file);
        } catch (ConfigException e) {
            throw new CliException(e.getMessage());
        }
    }

    static Path reportDir(BatonConfig c, Path configFile) {
        if (c.failover.reportDir != null) {
            return Path.of(c.failover.reportDir);
        }
        Path parent = configFile.toAbsolutePath().getParent();
        return (parent == null ? Path.of(".") : parent).resolve("baton-reports");
    }

    static int run(Path configFile, PrintWriter out, Function<FailoverEngine, FailoverReport> procedure) {
        BatonConfig c = load(configFile);
        try (Monitor monitor = new Monitor(c);
             FailoverEngine engine = new FailoverEngine(c, monitor, new LoggingRoutingControl(null),
                     new ReportHistory(reportDir(c, configFile)))) {
            FailoverReport r = procedure.apply(engine);
            out.print(r.describe());
            out.flush();
            if (!r.succeeded()) {
                throw new CliException(r.kind().name().toLowerCase(java.util.Locale.ROOT) + " failed at '" + r.stoppedAt()
                        + "': " + r.failure());
            }
            return 0;
        } catch (IllegalStateException e) {
            throw new CliException(e.getMessage());
        }
    }
}
