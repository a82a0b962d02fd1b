package io.baton.sandbox.zk;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.baton.sandbox.Fs;
import io.baton.sandbox.junit.WithEnsemble;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.zookeeper.ZooKeeper;
import org.junit.jupiter.api.Test;

/** A real three-server ensemble: the contract of ensemble.json, writes, and servers lost and back. */
@WithEnsemble(nodes = 3)
class EnsembleTest {

    @Test
    void ensembleJsonNamesEveryServersClientPortAndLivePid(Ensemble e) throws Exception {
        JsonNode json = Fs.JSON.readTree(e.dir().resolve("ensemble.json").toFile());
        JsonNode servers = json.get("servers");
        assertEquals(3, servers.size());
        List<String> hosts = new ArrayList<>();
        Set<Integer> ports = new HashSet<>();
        for (int i = 0; i < 3; i++) {
            JsonNode s = servers.get(i);
            assertEquals(i + 1, s.get("id").asInt());
            int port = s.get("port").asInt();
            long pid = s.get("pid").asLong();
            hosts.add("127.0.0.1:" + port);
            assertTrue(ports.add(port), "ports are distinct");
            assertTrue(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid + " runs");
            assertTrue(FourLetterWords.serves(FourLetterWords.mode(port, 1000)), "server " + (i + 1) + " serves on " + port);
            for (String key : List.of("quorumPort", "electionPort")) {
                assertTrue(ports.add(s.get(key).asInt()), key + " is a port of its own");
            }
        }
        assertEquals(String.join(",", hosts), json.get("connectString").asText());
        assertEquals(e.connectString(), json.get("connectString").asText());
    }

    @Test
    void statusShowsOneLeaderAndTwoFollowers(Ensemble e) {
        List<Ensemble.ServerState> states = Ensemble.status(e.dir());
        assertEquals(3, states.size());
        assertTrue(states.stream().allMatch(Ensemble.ServerState::alive), states.toString());
        assertEquals(1, states.stream().filter(s -> s.mode().equals("leader")).count(), states.toString());
        assertEquals(2, states.stream().filter(s -> s.mode().equals("follower")).count(), states.toString());
    }

    @Test
    void aZnodeWrittenThroughTheEnsembleIsReadOnEveryServer(Ensemble e) throws Exception {
        try (ZooKeeper zk = ZkClients.connect(e.connectString())) {
            assertEquals(ZkClients.SESSION_TIMEOUT_MILLIS, zk.getSessionTimeout(), "tickTime lets 4 s sessions be granted as asked");
            ZkClients.create(zk, "/every-server", "hello", 5000);
        }
        for (EnsembleFile.Server s : e.file().servers()) {
            try (ZooKeeper one = ZkClients.connect("127.0.0.1:" + s.port())) {
                assertEquals("hello", ZkClients.read(one, "/every-server"), "server " + s.id());
            }
        }
    }

    @Test
    void withTheLeaderKilledTheEnsembleServesWritesAndTheRestartedServerRejoinsAsFollower(Ensemble e) throws Exception {
        int leader = e.leader();
        long pid = e.kill(leader);
        try {
            assertGone(pid);
            assertEquals(FourLetterWords.NOT_ANSWERING, e.mode(leader));
            try (ZooKeeper zk = ZkClients.connect(e.connectString())) {
                ZkClients.create(zk, "/after-kill", "two of three", 15_000);
            }
            assertNotEquals(leader, e.leader(), "the two left elected a leader of their own");
        } finally {
            long restarted = e.start(leader); // also when the test fails: the tests after it want three servers
            assertNotEquals(pid, restarted);
            assertEquals(restarted, e.file().server(leader).pid(), "ensemble.json names the new pid");
        }
        assertEquals("follower", e.mode(leader));
        try (ZooKeeper back = ZkClients.connect("127.0.0.1:" + e.file().server(leader).port())) {
            assertEquals("two of three", ZkClients.read(back, "/after-kill"), "it caught up with what it missed");
        }
    }

    @Test
    void aPausedFollowerAnswersNothingAndServesAgainOnceResumed(Ensemble e) throws Exception {
        int leader = e.leader();
        int follower = e.ids().stream().filter(id -> id != leader).findFirst().orElseThrow();
        e.pause(follower);
        try {
            assertEquals("paused", Ensemble.status(e.dir()).get(follower - 1).mode());
            assertEquals(FourLetterWords.NOT_ANSWERING, e.mode(follower));
            try (ZooKeeper zk = ZkClients.connect(e.file().servers().stream().filter(s -> s.id() != follower)
                    .map(s -> "127.0.0.1:" + s.port()).reduce((a, b) -> a + "," + b).orElseThrow())) {
                ZkClients.create(zk, "/while-paused", "quorum of two", 10_000);
            }
        } finally {
            e.resume(follower);
        }
        long deadline = System.nanoTime() + 15_000_000_000L;
        while (!FourLetterWords.serves(e.mode(follower)) && System.nanoTime() < deadline) {
            Thread.sleep(100);
        }
        assertEquals("follower", e.mode(follower));
    }

    /** A killed child stays a zombie until this JVM reaps it, which takes a moment. */
    private static void assertGone(long pid) throws InterruptedException {
        long deadline = System.nanoTime() + 5_000_000_000L;
        while (io.baton.sandbox.ServerProcess.running(pid) && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
        assertFalse(io.baton.sandbox.ServerProcess.running(pid), "kill -9 ended pid " + pid);
    }
}
