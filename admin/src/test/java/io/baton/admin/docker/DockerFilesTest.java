package io.baton.admin.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.admin.config.BatonConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The files of docker/ agree with each other and with Baton (no Docker needed): baton.yml is a
 * valid configuration for the compose file's servers and passwords; the image runs as non-root
 * with the documented entry point.
 */
class DockerFilesTest {

    /** The repository root (tests run in the module's folder). */
    static Path root() {
        Path p = Path.of("").toAbsolutePath();
        while (p != null && !Files.isRegularFile(p.resolve("docker/compose.yml"))) {
            p = p.getParent();
        }
        if (p == null) {
            throw new IllegalStateException("no docker/compose.yml above " + Path.of("").toAbsolutePath());
        }
        return p;
    }

    @Test
    void batonYmlMatchesTheComposeTopology() throws Exception {
        Path docker = root().resolve("docker");
        BatonConfig c = BatonConfig.load(docker.resolve("baton.yml"));
        String compose = Files.readString(docker.resolve("compose.yml"));
        assertEquals(List.of("db1", "db2", "db3"), c.servers.stream().map(s -> s.name).toList());
        for (BatonConfig.Server s : c.servers) {
            assertEquals(s.name, s.host, "servers are reached by their compose service name");
            assertEquals(3306, s.port);
            assertTrue(compose.contains("\n  " + s.name + ":\n"), "compose service " + s.name);
        }
        assertEquals("gtid", c.replication.mode);
        assertEquals(DockerTopologyTest.REPL_PASSWORD, c.replication.password);
        assertEquals(DockerTopologyTest.MONITOR_PASSWORD, c.monitor.password);
        assertEquals(DockerTopologyTest.APP_PASSWORD, c.users.get(0).password);
        assertTrue(compose.contains("BATON_REPL_PASSWORD: " + c.replication.password));
        assertTrue(compose.contains("BATON_MONITOR_PASSWORD: " + c.monitor.password));
        assertTrue(compose.contains("BATON_APP_PASSWORD: " + c.users.get(0).password));
        assertTrue(compose.contains("MYSQL_ROOT_PASSWORD: " + DockerTopologyTest.ROOT_PASSWORD));
        assertTrue(compose.contains("image: mysql:8.4"));
        assertEquals("0.0.0.0", c.proxy.host);
        assertEquals(6033, c.proxy.port);
        assertEquals(9033, c.metrics.port);
    }

    @Test
    void imageRunsAsNonRootWithTheDocumentedEntryPoint() throws Exception {
        Path docker = root().resolve("docker");
        String dockerfile = Files.readString(docker.resolve("Dockerfile"));
        assertTrue(dockerfile.contains("FROM eclipse-temurin:17-jre"));
        assertTrue(dockerfile.contains("\nUSER baton\n"));
        assertTrue(dockerfile.contains("COPY perf/target/baton.jar"));
        // The proxy's JVM options (ProxyCommand.JVM_OPTIONS), then the documented command.
        StringBuilder jvm = new StringBuilder();
        for (String o : io.baton.admin.cli.ProxyCommand.JVM_OPTIONS) {
            jvm.append('"').append(o).append("\", ");
        }
        assertTrue(dockerfile.contains("ENTRYPOINT [\"java\", " + jvm
                + "\"-jar\", \"baton.jar\", \"proxy\", \"--config\", \"/etc/baton/baton.yml\"]"), dockerfile);
        assertTrue(Files.isExecutable(docker.resolve("mysql-init/10-topology.sh")),
                "the init script is executable (the mysql entrypoint runs it rather than sourcing it)");
    }
}
