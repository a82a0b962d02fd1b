package io.baton.perf.bench;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.HdrHistogram.Histogram;

/**
 * One round against one target: N client threads, each on its own connection, run the workload in
 * a closed loop through a warm-up and then a measurement window. Only events that start and end
 * inside the window are counted, so every target is measured over the same span of time.
 */
final class LoadRound {
    private static final long HIGHEST_NANOS = TimeUnit.SECONDS.toNanos(60);

    private final Target target;
    private final Workload workload;
    private final int threads;
    private final int tableSize;
    private volatile long measureFrom;
    private volatile long measureTo;

    LoadRound(Target target, Workload workload, int threads, int tableSize) {
        this.target = target;
        this.workload = workload;
        this.threads = threads;
        this.tableSize = tableSize;
    }

    RoundResult run(int round, Duration warmup, Duration measure, ProxyCpu cpu) throws InterruptedException {
        CountDownLatch ready = new CountDownLatch(threads);
        CountDownLatch go = new CountDownLatch(1);
        List<Worker> workers = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            Worker w = new Worker(ready, go);
            workers.add(w);
            Thread t = new Thread(w, "bench-" + target.name() + "-" + i);
            t.setDaemon(true);
            w.thread = t;
            t.start();
        }
        if (!ready.await(60, TimeUnit.SECONDS)) {
            go.countDown();
            throw new IllegalStateException(target + ": clients did not connect within 60 s");
        }
        for (Worker w : workers) {
            if (w.failure != null) {
                measureTo = 0;
                go.countDown();
                joinAll(workers);
                throw new IllegalStateException("cannot connect to " + target + ": " + w.failure.getMessage(), w.failure);
            }
        }
        long now = System.nanoTime();
        measureFrom = now + warmup.toNanos();
        measureTo = measureFrom + measure.toNanos();
        go.countDown();
        long cpuNanos = -1;
        if (cpu != null) {
            sleepUntil(measureFrom);
            long c0 = cpu.nanos();
            sleepUntil(measureTo);
            long c1 = cpu.nanos();
            cpuNanos = c0 < 0 || c1 < 0 ? -1 : c1 - c0;
        }
        joinAll(workers);
        Histogram all = new Histogram(HIGHEST_NANOS, 3);
        long events = 0;
        long errors = 0;
        Map<String, Long> kinds = new TreeMap<>();
        for (Worker w : workers) {
            all.add(w.latency);
            events += w.events;
            errors += w.errors;
            w.errorKinds.forEach((k, v) -> kinds.merge(k, v, Long::sum));
        }
        return new RoundResult(target.name(), round, threads, measure.toNanos() / 1e9, events, errors, kinds, all,
                cpuNanos < 0 ? Double.NaN : cpuNanos / 1e9, Double.NaN);
    }

    private static void sleepUntil(long nanoTime) throws InterruptedException {
        long left;
        while ((left = nanoTime - System.nanoTime()) > 0) {
            Thread.sleep(Math.max(1, left / 1_000_000), 0);
        }
    }

    private void joinAll(List<Worker> workers) throws InterruptedException {
        for (Worker w : workers) {
            w.thread.join(TimeUnit.SECONDS.toMillis(90));
            if (w.thread.isAlive()) {
                throw new IllegalStateException(target + ": a client thread did not stop");
            }
        }
    }

    private final class Worker implements Runnable {
        final CountDownLatch ready;
        final CountDownLatch go;
        final Histogram latency = new Histogram(HIGHEST_NANOS, 3);
        final Map<String, Long> errorKinds = new TreeMap<>();
        Thread thread;
        volatile Exception failure;
        long events;
        long errors;

        Worker(CountDownLatch ready, CountDownLatch go) {
            this.ready = ready;
            this.go = go;
        }

        @Override
        public void run() {
            Connection c = null;
            Workload.Client client = null;
            try {
                try {
                    c = target.connect();
                    client = workload.open(c, tableSize, target);
                } catch (SQLException e) {
                    failure = e;
                }
                ready.countDown();
                go.await();
                if (client == null) {
                    return;
                }
                ThreadLocalRandom rnd = ThreadLocalRandom.current();
                long from = measureFrom;
                long to = measureTo;
                while (true) {
                    long t0 = System.nanoTime();
                    if (t0 >= to) {
                        break;
                    }
                    try {
                        client.event(rnd);
                        long t1 = System.nanoTime();
                        if (t0 >= from && t1 <= to) {
                            latency.recordValue(Math.min(t1 - t0, HIGHEST_NANOS));
                            events++;
                        }
                    } catch (SQLException e) {
                        if (t0 >= from) {
                            errors++;
                            errorKinds.merge(e.getErrorCode() + " " + e.getSQLState(), 1L, Long::sum);
                        }
                        if (!isUsable(c)) {
                            close(c);
                            c = target.connect();
                            client = workload.open(c, tableSize, target);
                        }
                    }
                }
            } catch (SQLException e) {
                failure = e; // a reconnect failed: this client is lost for the rest of the round
                errors++;
                errorKinds.merge("client lost (" + e.getErrorCode() + " " + e.getSQLState() + ")", 1L, Long::sum);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                close(c);
            }
        }
    }

    private static boolean isUsable(Connection c) {
        try {
            return !c.isClosed() && c.isValid(2);
        } catch (SQLException e) {
            return false;
        }
    }

    private static void close(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // already broken
            }
        }
    }
}
