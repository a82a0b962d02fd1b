package io.baton.sandbox.zk;

import io.baton.sandbox.Sandbox;
import io.baton.sandbox.SandboxException;
import io.baton.sandbox.ServerProcess;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;

/**
 * Waits, bounded, until ZooKeeper servers serve, asking each with {@code srvr}: the whole ensemble
 * (one leader, every other server a follower; a single server standalone) after 'up', or one server
 * back in it after a restart. A server process that exits meanwhile ends the wait at once, with the
 * errors of its log.
 */
final class Readiness {
    private static final int ASK_TIMEOUT_MILLIS = 1000;
    private static final long POLL_MILLIS = 100;

    private Readiness() {
    }

    /** Returns the mode of each server once the ensemble has a leader and every server serves. */
    static Map<Integer, String> awaitEnsemble(List<ZkServer> servers, int timeoutSeconds) {
        return await(servers, timeoutSeconds, "had no leader with every server serving", modes -> {
            long leaders = modes.values().stream().filter(m -> m.equals(FourLetterWords.LEADER)
                    || m.equals(FourLetterWords.STANDALONE)).count();
            return leaders == 1 && modes.values().stream().allMatch(FourLetterWords::serves);
        });
    }

    /** Returns the server's mode once it serves (a restarted server that rejoined). */
    static String awaitServing(ZkServer server, int timeoutSeconds) {
        return await(List.of(server), timeoutSeconds, "did not serve",
                modes -> modes.values().stream().allMatch(FourLetterWords::serves)).get(server.id());
    }

    private static Map<Integer, String> await(List<ZkServer> servers, int timeoutSeconds, String failure,
                                              Predicate<Map<Integer, String>> ready) {
        long deadline = System.nanoTime() + timeoutSeconds * 1_000_000_000L;
        while (true) {
            Map<Integer, String> modes = new LinkedHashMap<>();
            for (ZkServer s : servers) {
                // Right after the spawn the PID may still run the launcher (its command line is not the server's
                // yet): only a process that is gone has exited.
                if (s.livePid() == 0 && !ProcessHandle.of(s.pid()).map(ProcessHandle::isAlive).orElse(false)) {
                    throw new SandboxException(s.name() + " exited during start-up: " + ServerProcess.tail(s.log(), 4)
                            + " (log: " + s.log() + ")");
                }
                modes.put(s.id(), FourLetterWords.mode(s.clientPort(), ASK_TIMEOUT_MILLIS));
            }
            if (ready.test(modes)) {
                return modes;
            }
            if (System.nanoTime() > deadline) {
                String seen = servers.stream().map(s -> s.name() + " " + modes.get(s.id())).collect(Collectors.joining(", "));
                throw new SandboxException((servers.size() == 1 ? servers.get(0).name() : "the ensemble") + " " + failure
                        + " within " + timeoutSeconds + " s: " + seen + " (logs: " + servers.get(0).homePath().getParent()
                        + "/zk<N>/server.log)");
            }
            Sandbox.sleep(POLL_MILLIS);
        }
    }
}
