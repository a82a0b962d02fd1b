package io.baton.sandbox.zk;

import io.baton.sandbox.LoopbackPorts;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The files one ZooKeeper server runs from ({@code zoo.cfg}, {@code data/myid}, {@code logback.xml})
 * and the command that starts it.
 *
 * <p>Timing: {@code tickTime=500} ms. ZooKeeper grants a client session timeout between 2 and 20
 * ticks (1 s to 10 s here), so the ~4 s sessions a Baton cluster asks for are granted as asked, and
 * a lost server or session is noticed in seconds, not the minute production settings take.
 * {@code initLimit=20} ticks (10 s) lets a follower sync even while two cores also run the build;
 * {@code syncLimit=10} ticks (5 s) drops a follower that stopped answering (a SIGSTOP'd one) within
 * 5 s, yet survives a GC pause.
 */
final class ServerFiles {
    static final int TICK_MILLIS = 500;
    static final int INIT_LIMIT_TICKS = 20;
    static final int SYNC_LIMIT_TICKS = 10;
    static final String MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain";

    private ServerFiles() {
    }

    /** Writes the server's folder. With one server the config names no peers: ZooKeeper runs standalone. */
    static void write(ZkServer s, List<ZkServer> ensemble) throws IOException {
        Files.createDirectories(s.dataDir());
        Files.writeString(s.dataDir().resolve("myid"), s.id() + "\n");
        Files.writeString(s.config(), zooCfg(s, ensemble));
        Files.writeString(s.logbackConfig(), LOGBACK);
    }

    /**
     * The JVM is kept small and quick to start (C1 only, serial GC): a test ensemble serves a handful
     * of clients. The admin HTTP server is off (it would take port 8080 on every server).
     */
    static List<String> command(ZkServer s, String classpath) {
        return List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xms16m", "-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-XX:-UsePerfData",
                "-Djava.net.preferIPv4Stack=true",
                "-Dzookeeper.admin.enableServer=false",
                "-Dlogback.configurationFile=" + s.logbackConfig(),
                "-cp", classpath,
                MAIN_CLASS,
                s.config().toString());
    }

    /**
     * forceSync=no: a kill -9 loses nothing that reached the page cache; only a machine crash would,
     * and this ensemble does not outlive one. maxClientCnxns=0: every client comes from 127.0.0.1, so
     * the default 60 per address would cap a whole test cluster. preAllocSize=4096 (KiB): transaction
     * logs grow by 4 MiB, not 64 MiB, per server.
     */
    static String zooCfg(ZkServer s, List<ZkServer> ensemble) {
        StringBuilder sb = new StringBuilder();
        sb.append("# ").append(s.name()).append(" of a local ensemble started by 'baton zk up'\n");
        sb.append("tickTime=").append(TICK_MILLIS).append('\n');
        sb.append("initLimit=").append(INIT_LIMIT_TICKS).append('\n');
        sb.append("syncLimit=").append(SYNC_LIMIT_TICKS).append('\n');
        sb.append("dataDir=").append(s.dataDir()).append('\n');
        sb.append("clientPortAddress=").append(LoopbackPorts.HOST).append('\n');
        sb.append("clientPort=").append(s.clientPort()).append('\n');
        sb.append("admin.enableServer=false\n");
        sb.append("4lw.commands.whitelist=ruok,srvr,mntr,stat\n");
        sb.append("forceSync=no\n");
        sb.append("preAllocSize=4096\n");
        sb.append("maxClientCnxns=0\n");
        if (ensemble.size() > 1) {
            for (ZkServer peer : ensemble) {
                sb.append("server.").append(peer.id()).append('=').append(LoopbackPorts.HOST).append(':')
                        .append(peer.quorumPort()).append(':').append(peer.electionPort()).append('\n');
            }
        }
        return sb.toString();
    }

    /**
     * On stdout, which the spawn appends to server.log together with anything the JVM itself prints.
     * WARN and up, plus the quorum's role changes (LOOKING, LEADING, FOLLOWING): enough to see why a
     * server did not join, without a line per client session.
     */
    private static final String LOGBACK = """
            <configuration>
              <appender name="OUT" class="ch.qos.logback.core.ConsoleAppender">
                <encoder><pattern>%d{HH:mm:ss.SSS} %-5level [%thread] %logger{0} - %msg%n</pattern></encoder>
              </appender>
              <logger name="org.apache.zookeeper.server.quorum.QuorumPeer" level="INFO"/>
              <root level="WARN"><appender-ref ref="OUT"/></root>
            </configuration>
            """;
}
