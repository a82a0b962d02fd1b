package io.baton.admin.cli;

import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.PreflightChecks;
import io.baton.admin.topology.Monitor;
import io.baton.admin.topology.ServerConnection;
import io.baton.admin.topology.SourceHealth;
import io.baton.admin.topology.TopologySnapshot;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code ./baton topology --config FILE}: one monitor round, as the monitor sees it, with the pre-flight warnings. */
@Command(name = "topology", mixinStandardHelpOptions = true,
        description = "Show each configured server as the monitor sees it (role, read-only, replication, positions) and"
                + " the pre-flight warnings a failover would give.")
public final class TopologyCommand implements Callable<Integer> {
    @Option(names = "--config", required = true, description = "Configuration file.")
    Path config;
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() {
        BatonConfig c = ProcedureRunner.load(config);
        PrintWriter out = spec.commandLine().getOut();
        try (Monitor monitor = new Monitor(c)) {
            TopologySnapshot s = monitor.refresh();
            out.print(s.describe());
            SourceHealth h = SourceHealth.assess(s, 1);
            out.println("source health: " + h.verdict() + (h.source() == null ? "" : " (" + h.source() + ": " + h.reason() + ")"));
            List<String> warnings = PreflightChecks.run(s, c, name -> replicationUserExists(c, name));
            if (warnings.isEmpty()) {
                out.println("pre-flight checks: no warnings");
            }
            for (String w : warnings) {
                out.println("warning: " + w);
            }
            out.flush();
        }
        return 0;
    }

    private static Boolean replicationUserExists(BatonConfig c, String name) {
        try (ServerConnection conn = ServerConnection.open(c, c.server(name), c.monitor.connectTimeout, c.monitor.queryTimeout)) {
            return !"0".equals(conn.scalar("SELECT COUNT(*) FROM mysql.user WHERE user = "
                    + io.baton.dialect.Dialect.quote(c.replication.user)));
        } catch (SQLException e) {
            return null;
        }
    }
}
