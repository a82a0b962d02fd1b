package io.baton.sandbox.zk;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;
import org.apache.zookeeper.Watcher.Event.KeeperState;
import org.apache.zookeeper.ZooDefs;
import org.apache.zookeeper.ZooKeeper;

/** The plain ZooKeeper client as the tests use it: 4 s sessions, bounded waits, retries on connection loss. */
final class ZkClients {
    static final int SESSION_TIMEOUT_MILLIS = 4000;

    private ZkClients() {
    }

    static ZooKeeper connect(String connectString) throws Exception {
        CountDownLatch connected = new CountDownLatch(1);
        ZooKeeper zk = new ZooKeeper(connectString, SESSION_TIMEOUT_MILLIS, ev -> {
            if (ev.getState() == KeeperState.SyncConnected) {
                connected.countDown();
            }
        });
        if (!connected.await(10, TimeUnit.SECONDS)) {
            zk.close();
            throw new AssertionError("no ZooKeeper session with " + connectString + " within 10 s");
        }
        return zk;
    }

    /**
     * Creates a persistent znode, retrying while the client moves to another server (connection loss)
     * or the ensemble elects a leader; a retry that finds the znode made by a lost attempt is done.
     */
    static void create(ZooKeeper zk, String path, String data, long withinMillis) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(withinMillis);
        while (true) {
            try {
                zk.create(path, data.getBytes(StandardCharsets.UTF_8), ZooDefs.Ids.OPEN_ACL_UNSAFE, CreateMode.PERSISTENT);
                return;
            } catch (KeeperException.NodeExistsException doneBefore) {
                return;
            } catch (KeeperException.ConnectionLossException | KeeperException.SessionMovedException e) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("could not create " + path + " within " + withinMillis + " ms", e);
                }
                Thread.sleep(200);
            }
        }
    }

    /** Reads after a sync, so a follower answers with everything the leader has committed. */
    static String read(ZooKeeper zk, String path) throws Exception {
        CompletableFuture<Integer> synced = new CompletableFuture<>();
        zk.sync(path, (rc, p, ctx) -> synced.complete(rc), null);
        int rc = synced.get(10, TimeUnit.SECONDS);
        if (rc != KeeperException.Code.OK.intValue()) {
            throw KeeperException.create(KeeperException.Code.get(rc), path);
        }
        return new String(zk.getData(path, false, null), StandardCharsets.UTF_8);
    }
}
