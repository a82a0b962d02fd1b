package io.baton.admin.observe;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.OutputStreamAppender;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.baton.admin.BatonNode;
import io.baton.admin.config.BatonConfig;
import io.baton.admin.failover.FailoverReport;
import io.baton.sandbox.SandboxTopology;
import io.baton.sandbox.TopologyFile;
import io.baton.sandbox.junit.WithSandbox;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Everything Baton logs (DEBUG and up, human and JSON formats) while a client logs in with a wrong
 * password, a client works and disconnects, a switchover and an unplanned failover run and the
 * old source rejoins: no configured password appears; every JSON line is JSON; each procedure
 * step is one INFO line with its duration; the disconnect is a DEBUG line.
 */
@WithSandbox(replicas = 2)
class LogSecretsTest {

    @Test
    void logsCarryNoPasswords(SandboxTopology t) throws Exception {
        BatonConfig c = MetricsAndHealthTest.config(t);
        TopologyFile.User app = t.user("app");
        String wrong = "Wrong-" + app.password();
        ByteArrayOutputStream human = new ByteArrayOutputStream();
        ByteArrayOutputStream json = new ByteArrayOutputStream();
        Logger baton = (Logger) LoggerFactory.getLogger("io.baton");
        LoggerContext ctx = baton.getLoggerContext();
        List<OutputStreamAppender<ILoggingEvent>> appenders = List.of(appender(ctx, "human", human),
                appender(ctx, "json", json));
        Level level = baton.getLevel();
        int failoverSteps;
        baton.setLevel(Level.DEBUG);
        appenders.forEach(baton::addAppender);
        try (BatonNode n = BatonNode.start(c, null, null)) {
            assertThrows(SQLException.class, () -> MetricsAndHealthTest.connect(n, app.user(), wrong, "").close());
            try (Connection conn = MetricsAndHealthTest.connect(n, app.user(), app.password(), "");
                 Statement s = conn.createStatement()) {
                s.execute("SELECT 1");
            }
            String first = n.proxy().source().name();
            String second = t.servers().stream().map(TopologyFile.Server::name).filter(x -> !x.equals(first))
                    .findFirst().orElseThrow();
            FailoverReport sw = n.engine().switchover(second, "log test");
            assertTrue(sw.succeeded(), sw.describe());

            t.kill(second);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            // Routed away first, then the procedure finishes and its report is kept: wait for both.
            while ((n.proxy().source().name().equals(second) || n.engine().busy()
                    || n.engine().reports().latest().map(r -> r.kind() != FailoverReport.Kind.FAILOVER).orElse(true))
                    && System.nanoTime() < deadline) {
                Thread.sleep(50);
            }
            assertNotEquals(second, n.proxy().source().name(), "Baton failed over");
            FailoverReport failover = n.engine().reports().latest().orElseThrow();
            assertEquals(FailoverReport.Kind.FAILOVER, failover.kind());
            assertTrue(failover.succeeded(), failover.describe());
            failoverSteps = failover.steps().size();
            t.start(second);
            FailoverReport rejoin = n.engine().rejoin(second, false, "log test");
            assertTrue(rejoin.succeeded(), rejoin.describe());
        } finally {
            appenders.forEach(a -> {
                baton.detachAppender(a);
                a.stop();
            });
            baton.setLevel(level);
        }

        String humanText = human.toString(StandardCharsets.UTF_8);
        String jsonText = json.toString(StandardCharsets.UTF_8);
        List<String> secrets = new ArrayList<>(List.of(wrong));
        t.file().users().values().forEach(u -> secrets.add(u.password()));
        c.users.forEach(u -> secrets.add(u.password));
        secrets.add(c.monitor.password);
        secrets.add(c.replication.password);
        secrets.add(t.file().admin().password());
        for (String secret : secrets) {
            if (secret == null || secret.length() < 6) {
                continue; // too short to search for without false alarms (the sandbox makes long ones)
            }
            assertFalse(humanText.contains(secret), "a password in the human log");
            assertFalse(jsonText.contains(secret), "a password in the JSON log");
        }

        assertTrue(humanText.contains("access denied for user '" + app.user() + "'"), "the refused login is logged");
        assertTrue(humanText.matches("(?s).*DEBUG ClientSession - session \\d+ user '" + app.user()
                + "' disconnected after \\d+ commands.*"), "disconnects at DEBUG");
        assertTrue(humanText.matches("(?s).*INFO  Procedure - failover #\\d+ step 'promote the candidate' ok in \\d+ ms.*"),
                "one INFO line per failover step with its duration");

        ObjectMapper mapper = new ObjectMapper();
        int steps = 0;
        for (String line : jsonText.split("\n")) {
            JsonNode e = mapper.readTree(line); // each line one JSON object
            assertTrue(e.hasNonNull("level") && e.hasNonNull("loggerName") && e.hasNonNull("formattedMessage"), line);
            if (e.get("formattedMessage").asText().matches("failover #\\d+ step '.*' ok in \\d+ ms: .*")) {
                assertEquals("INFO", e.get("level").asText());
                steps++;
            }
        }
        assertEquals(failoverSteps, steps, "a JSON line per failover step");
    }

    private static OutputStreamAppender<ILoggingEvent> appender(LoggerContext ctx, String format, ByteArrayOutputStream out) {
        LogEncoder encoder = new LogEncoder();
        encoder.setContext(ctx);
        encoder.setFormat(format);
        encoder.start();
        OutputStreamAppender<ILoggingEvent> a = new OutputStreamAppender<>();
        a.setContext(ctx);
        a.setName("capture-" + format);
        a.setEncoder(encoder);
        a.setOutputStream(out);
        a.setImmediateFlush(true);
        a.start();
        return a;
    }
}
