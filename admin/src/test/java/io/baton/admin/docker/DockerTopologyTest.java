package io.baton.admin.docker;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.testcontainers.containers.GenericContainer;
import org.testcontainers.containers.Network;
import org.testcontainers.containers.wait.strategy.Wait;
import org.testcontainers.images.builder.ImageFromDockerfile;
import org.testcontainers.junit.jupiter.Testcontainers;
import org.testcontainers.utility.DockerImageName;
import org.testcontainers.utility.MountableFile;

/**
 * The topology of docker/compose.yml, run with Testcontainers: MySQL 8.4 source db1, GTID replicas
 * db2 and db3 set up by docker/mysql-init/10-topology.sh, and Baton built from docker/Dockerfile
 * with docker/baton.yml. Host ports are Testcontainers' (random), not compose's fixed ones.
 * Skipped where no Docker engine runs, or when perf/target/baton.jar is not built.
 */
@Testcontainers(disabledWithoutDocker = true)
class DockerTopologyTest {
    static final String ROOT_PASSWORD = "root-secret";
    static final String REPL_PASSWORD = "repl-secret";
    static final String MONITOR_PASSWORD = "baton-secret";
    static final String APP_PASSWORD = "app-secret";

    private static final List<GenericContainer<?>> started = new ArrayList<>();
    private static Network network;
    private static GenericContainer<?> db1;
    private static GenericContainer<?> baton;

    @BeforeAll
    static void up() {
        Path root = DockerFilesTest.root();
        Path jar = root.resolve("perf/target/baton.jar");
        assumeTrue(Files.isRegularFile(jar), "perf/target/baton.jar is not built (mvn -B -DskipTests -pl perf -am package)");
        network = Network.newNetwork();
        db1 = start(mysql(root, "db1", 1, "source"));
        start(mysql(root, "db2", 2, "replica"));
        start(mysql(root, "db3", 3, "replica"));
        baton = start(new GenericContainer<>(new ImageFromDockerfile("baton-test", true)
                .withFileFromPath("perf/target/baton.jar", jar)
                .withFileFromPath("docker/baton.yml", root.resolve("docker/baton.yml"))
                .withFileFromPath("docker/Dockerfile", root.resolve("docker/Dockerfile"))
                .withDockerfilePath("docker/Dockerfile"))
                .withNetwork(network)
                .withEnv("BATON_ADMIN_PASSWORD", "admin-secret")
                .withExposedPorts(6033, 9033)
                .waitingFor(Wait.forHttp("/health/ready").forPort(9033).forStatusCode(200)
                        .withStartupTimeout(Duration.ofMinutes(2))));
    }

    /** One MySQL 8.4 server as compose.yml declares it. */
    private static GenericContainer<?> mysql(Path root, String name, int serverId, String role) {
        return new GenericContainer<>(DockerImageName.parse("mysql:8.4"))
                .withNetwork(network)
                .withNetworkAliases(name)
                .withEnv(Map.of("MYSQL_ROOT_PASSWORD", ROOT_PASSWORD, "MYSQL_INITDB_SKIP_TZINFO", "1",
                        "BATON_REPL_PASSWORD", REPL_PASSWORD, "BATON_MONITOR_PASSWORD", MONITOR_PASSWORD,
                        "BATON_APP_PASSWORD", APP_PASSWORD, "BATON_ROLE", role))
                .withCopyFileToContainer(MountableFile.forHostPath(root.resolve("docker/mysql-init/10-topology.sh"), 0755),
                        "/docker-entrypoint-initdb.d/10-topology.sh")
                .withCommand("--server-id=" + serverId, "--log-bin=mysql-bin", "--gtid-mode=ON",
                        "--enforce-gtid-consistency=ON", "--report-host=" + name, "--report-port=3306")
                // The entrypoint's temporary server says "port: 0"; the real one listens on 3306.
                .waitingFor(Wait.forLogMessage(".*ready for connections.*port: 3306.*", 1)
                        .withStartupTimeout(Duration.ofMinutes(3)));
    }

    private static GenericContainer<?> start(GenericContainer<?> c) {
        c.start();
        started.add(c);
        return c;
    }

    @AfterAll
    static void down() {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).stop();
        }
        if (network != null) {
            network.close();
        }
    }

    @Test
    void clientsKeepWritingThroughBatonWhenTheSourceIsLost() throws Exception {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(20))");
            s.execute("INSERT INTO t VALUES (1, 'before')");
        }
        String metrics = get("/metrics").body();
        assertTrue(metrics.contains("baton_server_role{role=\"source\",server=\"db1\"} 1.0"), metrics);
        assertTrue(metrics.contains("baton_server_replication_thread_running{server=\"db2\",thread=\"io\"} 1.0"), metrics);
        assertTrue(metrics.contains("baton_server_replication_thread_running{server=\"db3\",thread=\"io\"} 1.0"), metrics);

        db1.stop();
        long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
        HttpResponse<String> ready = get("/health/ready");
        while (!(ready.statusCode() == 200 && !ready.body().contains("\"db1\"")) && System.nanoTime() < deadline) {
            Thread.sleep(250);
            ready = get("/health/ready");
        }
        assertEquals(200, ready.statusCode(), ready.body());
        assertNotEquals(-1, ready.body().indexOf("\"source\":\"db"), ready.body());

        try (Connection c = connect(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO t VALUES (2, 'after')");
            try (ResultSet rs = s.executeQuery("SELECT COUNT(*) FROM t")) {
                rs.next();
                assertEquals(2, rs.getInt(1), "the promoted replica had the row written before the loss");
            }
        }
        assertTrue(get("/metrics").body().contains("baton_procedures_total{kind=\"failover\",outcome=\"succeeded\"} 1.0"));
    }

    private static Connection connect() throws Exception {
        return DriverManager.getConnection("jdbc:mysql://" + baton.getHost() + ":" + baton.getMappedPort(6033)
                + "/app?sslMode=REQUIRED", "app", APP_PASSWORD);
    }

    private static HttpResponse<String> get(String path) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create("http://" + baton.getHost() + ":" + baton.getMappedPort(9033)
                + path)).timeout(Duration.ofSeconds(5)).GET().build();
        return HttpClient.newHttpClient().send(req, HttpResponse.BodyHandlers.ofString());
    }
}
