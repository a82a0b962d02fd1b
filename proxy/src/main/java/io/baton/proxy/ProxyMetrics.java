package io.baton.proxy;

import io.baton.protocol.Command;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.buffer.ByteBuf;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * The proxy's meters (Micrometer; served as Prometheus text by admin). Names follow Prometheus
 * conventions once rendered: {@code baton_client_sessions_opened_total}, ... The per-command path
 * is cheap: counters are registered up front and found by array index, bytes are summed in
 * {@link LongAdder}s per socket read, and nothing is allocated per command. No tag carries
 * anything a client chooses (no statement text, no user, no schema).
 */
public final class ProxyMetrics {
    /** Tag values of {@code baton_client_commands_total}: a fixed set; other command bytes count as "other". */
    static final String OTHER = "other";

    private final MeterRegistry registry;
    private final Counter opened;
    private final Counter closed;
    private final Counter idleClosed;
    private final Counter backendConnects;
    private final Counter backendErrors;
    private final Map<String, Counter> refused = new ConcurrentHashMap<>();
    /** Indexed by command byte; unknown commands share the "other" counter. */
    private final Counter[] commands = new Counter[256];
    /** Indexed by {@link QueryKind#ordinal()}. */
    private final Counter[] queries = new Counter[QueryKind.values().length];
    private final LongAdder bytesReceived = new LongAdder();
    private final LongAdder bytesSent = new LongAdder();
    private final Timer statements;
    private final java.util.concurrent.atomic.AtomicLong commitsHeld = new java.util.concurrent.atomic.AtomicLong();
    private final Timer commitWait;
    private final Timer causalWait;
    private final Map<String, Counter> causalReads = new java.util.concurrent.ConcurrentHashMap<>();

    /** Why sessions keep their pooled connection: each reason a gauge, present at 0 (docs/pool.md). */
    static final java.util.List<String> PIN_REASONS = java.util.List.of("transaction", "user variables",
            "session state the server reported", "LAST_INSERT_ID(expr)", "temporary tables",
            "named locks (GET_LOCK)", "table locks (LOCK TABLES)", "open cursor", "long data pending",
            "warnings of the last statement",
            "SQL_CALC_FOUND_ROWS", "no session tracker", "SQL prepared statements", "XA transaction", "open HANDLER",
            "SET TRANSACTION for the next transaction", "session tracker changed", "global read lock", "backup lock",
            "prepared ROW_COUNT()/FOUND_ROWS()", "multi-statement not read", "multi-statement option set");
    private Timer poolWait;
    private Counter poolWaitsGranted;
    private Counter poolWaitsTimedOut;

    /** The backend pool's meters: connections open and idle, waits, and the sessions pinned by reason. */
    void pool(BackendPool pool, SessionRegistry sessions) {
        Gauge.builder("baton.pool.connections.open", pool, p -> p.openByServer().values().stream().mapToInt(i -> i).sum())
                .description("Pooled server connections open (held by sessions and idle)").register(registry);
        Gauge.builder("baton.pool.connections.idle", pool, BackendPool::idle)
                .description("Pooled server connections idle in the pool").register(registry);
        Gauge.builder("baton.pool.waiting", pool, BackendPool::waiting)
                .description("Statements waiting for a pooled connection now").register(registry);
        poolWait = Timer.builder("baton.pool.wait").description("How long statements waited for a pooled connection")
                .publishPercentileHistogram().register(registry);
        poolWaitsGranted = Counter.builder("baton.pool.waits").tag("outcome", "granted")
                .description("Statements that waited for a pooled connection, by outcome").register(registry);
        poolWaitsTimedOut = Counter.builder("baton.pool.waits").tag("outcome", "timeout")
                .description("Statements that waited for a pooled connection, by outcome").register(registry);
        loginsIdle = Counter.builder("baton.pool.logins").tag("connection", "idle")
                .description("Logins with the pool on, by the connection they got: an idle one, or a new server login")
                .register(registry);
        loginsNew = Counter.builder("baton.pool.logins").tag("connection", "new")
                .description("Logins with the pool on, by the connection they got: an idle one, or a new server login")
                .register(registry);
        for (String reason : PIN_REASONS) {
            Gauge.builder("baton.sessions.pinned", sessions, r -> r.all().stream()
                            .filter(cs -> reason.equals(cs.pinnedBecause())).count())
                    .tag("reason", reason.replaceAll("[^A-Za-z0-9_]+", "_").replaceAll("^_|_$", "").toLowerCase(java.util.Locale.ROOT))
                    .description("Sessions that keep their pooled connection, by reason")
                    .register(registry);
        }
    }

    private Counter loginsIdle;
    private Counter loginsNew;

    /** A pooled login: it took an idle connection, or opened a new one. */
    void poolLogin(boolean idle) {
        if (loginsIdle != null) {
            (idle ? loginsIdle : loginsNew).increment();
        }
    }

    void poolWaited(long t0, boolean timedOut) {
        if (poolWait == null) {
            return;
        }
        poolWait.record(System.nanoTime() - t0, java.util.concurrent.TimeUnit.NANOSECONDS);
        (timedOut ? poolWaitsTimedOut : poolWaitsGranted).increment();
    }

    public ProxyMetrics(MeterRegistry registry, SessionRegistry sessions, Gate gate) {
        this.registry = registry;
        opened = Counter.builder("baton.client.sessions.opened").description("Client sessions accepted").register(registry);
        closed = Counter.builder("baton.client.sessions.closed").description("Client sessions ended").register(registry);
        idleClosed = Counter.builder("baton.client.sessions.idle.closed").description("Sessions closed after the idle timeout")
                .register(registry);
        replayBytes = io.micrometer.core.instrument.DistributionSummary.builder("baton.replay.bytes").baseUnit("bytes")
                .description("Statements held and run again by each transaction replay").register(registry);
        backendConnects = Counter.builder("baton.backend.connects").description("Backend connections opened").register(registry);
        backendErrors = Counter.builder("baton.backend.errors").description("Backend connections that failed to open or broke")
                .register(registry);
        Gauge.builder("baton.client.sessions.open", sessions, SessionRegistry::open).description("Client sessions open now")
                .register(registry);
        for (String reason : new String[] {"max_connections", "handshake_timeout", "access_denied"}) {
            refusedCounter(reason); // present at 0 from the start, so that rate() works at once
        }

        Counter other = commandCounter(OTHER);
        for (int i = 0; i < commands.length; i++) {
            String name = commandTag(i);
            commands[i] = name == null ? other : commandCounter(name);
        }
        for (QueryKind k : QueryKind.values()) {
            queries[k.ordinal()] = Counter.builder("baton.client.queries").tag("kind", k.tag)
                    .description("COM_QUERY statements by their first keyword").register(registry);
        }
        FunctionCounter.builder("baton.client.received.bytes", bytesReceived, LongAdder::sum).baseUnit("bytes")
                .description("Bytes read from clients").register(registry);
        FunctionCounter.builder("baton.client.sent.bytes", bytesSent, LongAdder::sum).baseUnit("bytes")
                .description("Bytes of server responses relayed to clients").register(registry);
        statements = Timer.builder("baton.statement.duration")
                .description("From a command's arrival at the backend to the end of its response")
                .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25),
                        Duration.ofMillis(100), Duration.ofMillis(500), Duration.ofMillis(2500), Duration.ofSeconds(10))
                .register(registry);

        Gauge.builder("baton.durability.held", commitsHeld, java.util.concurrent.atomic.AtomicLong::get)
                .description("Commit OKs held until a replica has the transaction (durability.mode replica)")
                .register(registry);
        commitWait = Timer.builder("baton.durability.wait")
                .description("How long a commit's OK was held for the replicas")
                .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(2), Duration.ofMillis(5),
                        Duration.ofMillis(25), Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(10))
                .register(registry);

        causalWait = Timer.builder("baton.reads.causal.wait")
                .description("How long reads waited for their replica to have the writes they must see (reads.consistency"
                        + " user or global)")
                .serviceLevelObjectives(Duration.ofMillis(1), Duration.ofMillis(5), Duration.ofMillis(25),
                        Duration.ofMillis(100), Duration.ofSeconds(1))
                .register(registry);

        Gauge.builder("baton.gate.closed", gate, g -> g.isOpen() ? 0 : 1).description("1 while the gate holds new statements")
                .register(registry);
        Gauge.builder("baton.gate.waiting", gate, Gate::waiting).description("Statements waiting at the gate").register(registry);
        FunctionCounter.builder("baton.gate.closures", gate, Gate::closures).description("Times the gate was closed")
                .register(registry);
        FunctionCounter.builder("baton.gate.wait", gate, g -> g.waitedNanos() / 1e9).baseUnit("seconds")
                .description("Time statements spent waiting at the gate, summed").register(registry);
        migrationCounter(true, "moved");
        migrationCounter(false, "replay");
        migrationCounter(false, "unmovable");
    }

    public static ProxyMetrics standalone(SessionRegistry sessions, Gate gate) {
        return new ProxyMetrics(new SimpleMeterRegistry(), sessions, gate);
    }

    public MeterRegistry registry() {
        return registry;
    }

    // ------------------------------------------------------------------ sessions, backends

    void opened() {
        opened.increment();
    }

    void closed() {
        closed.increment();
    }

    void idleClosed() {
        idleClosed.increment();
    }

    void backendConnected() {
        backendConnects.increment();
    }

    void backendError() {
        backendErrors.increment();
    }

    // ------------------------------------------------------------------ reads (docs/reads.md)

    private final Map<String, Counter> readsPerServer = new ConcurrentHashMap<>();
    private final Map<String, Counter> readReasons = new ConcurrentHashMap<>();

    /** A read-port statement started on {@code server}. */
    void read(String server) {
        readsPerServer.computeIfAbsent(server, n -> Counter.builder("baton.reads").tag("server", n)
                .description("Statements of read-port sessions, by the server that ran them").register(registry))
                .increment();
    }

    /** Statements of read sessions and reads split off the read-write port that {@code server} ran. */
    public long reads(String server) {
        Counter c = readsPerServer.get(server);
        return c == null ? 0 : (long) c.count();
    }

    /** A read session went to the source because no replica qualified (reads.fallback source). */
    void readFallback() {
        readReason("fallback_source");
    }

    /** A read session left its replica because it lagged, died or was promoted. */
    void readMoved() {
        readReason("replica_left");
    }

    /**
     * A read under a causal level: {@code how} is at_once (its replica was known to have the writes), reached (it
     * waited and they came), timeout or lost (it then ran on the source).
     */
    void causalRead(String how, long startNanos) {
        causalReads.computeIfAbsent(how, h -> Counter.builder("baton.reads.causal").tag("outcome", h)
                .description("Reads under reads.consistency user or global, by how their replica was known to have"
                        + " the writes they must see").register(registry)).increment();
        if (startNanos != 0) {
            causalWait.record(System.nanoTime() - startNanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
    }

    /** Reads under a causal level, with {@code how} as in {@link #causalRead} (for tests and SHOW). */
    public long causalReads(String how) {
        Counter c = causalReads.get(how);
        return c == null ? 0 : (long) c.count();
    }

    void readReason(String reason) {
        readReasons.computeIfAbsent(reason, r -> Counter.builder("baton.reads.rerouted").tag("reason", r)
                .description("Read sessions sent elsewhere than their replica, by reason").register(registry)).increment();
    }

    void refused(String reason) {
        refusedCounter(reason).increment();
    }

    private Counter refusedCounter(String reason) {
        return refused.computeIfAbsent(reason, r -> Counter.builder("baton.client.sessions.refused").tag("reason", r)
                .description("Client sessions refused, by reason").register(registry));
    }

    public double refusedCount(String reason) {
        Counter c = refused.get(reason);
        return c == null ? 0 : c.count();
    }

    // ------------------------------------------------------------------ migrations

    private final Map<String, Counter> migrations = new ConcurrentHashMap<>();

    void migration(boolean moved, String reason) {
        migrationCounter(moved, reason).increment();
    }

    private Counter migrationCounter(boolean moved, String reason) {
        String key = (moved ? "moved" : "failed") + ":" + reason;
        return migrations.computeIfAbsent(key, k -> Counter.builder("baton.migrations").tag("result", moved ? "moved" : "failed")
                .tag("reason", reason).description("Client sessions moved to another server, by result").register(registry));
    }

    public double migrations(boolean moved) {
        return migrations.entrySet().stream().filter(e -> e.getKey().startsWith(moved ? "moved" : "failed"))
                .mapToDouble(e -> e.getValue().count()).sum();
    }

    private final Map<String, Counter> replays = new ConcurrentHashMap<>();
    private final io.micrometer.core.instrument.DistributionSummary replayBytes;

    /** A transaction replay ended (replayed, different, failed, refused); {@code bytes} of statements it ran again. */
    void replay(String result, long bytes) {
        replays.computeIfAbsent(result, r -> Counter.builder("baton.replays").tag("result", r)
                .description("Open transactions whose server was lost or changed, by what their replay gave")
                .register(registry)).increment();
        if (bytes > 0) {
            replayBytes.record(bytes);
        }
    }

    public double replays(String result) {
        Counter c = replays.get(result);
        return c == null ? 0 : c.count();
    }

    private final Map<InFlight.Fate, Counter> inFlight = new ConcurrentHashMap<>();

    /** A statement was in flight when its server was lost: re-run, rolled back with its transaction, or outcome unknown. */
    void inFlight(InFlight.Fate fate) {
        inFlight.computeIfAbsent(fate, f -> Counter.builder("baton.in.flight").tag("fate", f.name().toLowerCase(java.util.Locale.ROOT))
                .description("Statements in flight when their server was lost, by what the client got: rerun (answered"
                        + " from the new source), rolled_back (ERR 1213), rolled_back_as_asked (OK to a ROLLBACK),"
                        + " unknown (ERR 1317), replayed, not_rerun (a read lost twice: ERR 1317)").register(registry))
                .increment();
    }

    public double inFlight(String fate) {
        Counter c = inFlight.get(InFlight.Fate.valueOf(fate.toUpperCase(java.util.Locale.ROOT)));
        return c == null ? 0 : c.count();
    }

    // ------------------------------------------------------------------ the command path

    /**
     * A command starts (it is being sent to the backend): counts it by command, and a COM_QUERY by
     * its first keyword. {@code payload} is the index of the command byte in {@code packet} and
     * {@code length} the payload's length. Returns the start time for {@link #responded}.
     */
    long command(int cmd, ByteBuf packet, int payload, int length) {
        commands[cmd & 0xFF].increment();
        if (cmd == Command.COM_QUERY) {
            int end = Math.min(packet.writerIndex(), payload + length);
            queries[QueryKind.of(packet, payload + 1, end).ordinal()].increment();
        }
        return System.nanoTime();
    }

    /** The response to the command started at {@code startNanos} is complete. */
    void responded(long startNanos) {
        if (startNanos != 0) {
            statements.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
        }
    }

    /** A commit's OK is held for the replicas. */
    void commitHeld() {
        commitsHeld.incrementAndGet();
    }

    /** A held OK (held since {@code startNanos}) was answered: released or replaced by an error. */
    void commitReleased(long startNanos) {
        commitsHeld.decrementAndGet();
        commitWait.record(System.nanoTime() - startNanos, TimeUnit.NANOSECONDS);
    }

    public long commitsHeld() {
        return commitsHeld.get();
    }

    /** Bytes read from a client socket (called per read, not per packet). */
    void received(int bytes) {
        bytesReceived.add(bytes);
    }

    /** Bytes read from a backend on the way to its client (called per read, not per packet). */
    void sent(int bytes) {
        bytesSent.add(bytes);
    }

    public double commandCount(String tag) {
        Counter c = registry.find("baton.client.commands").tag("command", tag).counter();
        return c == null ? 0 : c.count();
    }

    private Counter commandCounter(String name) {
        return Counter.builder("baton.client.commands").tag("command", name)
                .description("Client commands relayed, by command").register(registry);
    }

    /** The tag of a command byte, or null for the rare ones that count as "other". */
    static String commandTag(int cmd) {
        return switch (cmd) {
            case Command.COM_QUIT -> "quit";
            case Command.COM_INIT_DB -> "init_db";
            case Command.COM_QUERY -> "query";
            case Command.COM_FIELD_LIST -> "field_list";
            case Command.COM_STATISTICS -> "statistics";
            case Command.COM_PROCESS_KILL -> "process_kill";
            case Command.COM_PING -> "ping";
            case Command.COM_CHANGE_USER -> "change_user";
            case Command.COM_STMT_PREPARE -> "stmt_prepare";
            case Command.COM_STMT_EXECUTE -> "stmt_execute";
            case Command.COM_STMT_SEND_LONG_DATA -> "stmt_send_long_data";
            case Command.COM_STMT_CLOSE -> "stmt_close";
            case Command.COM_STMT_RESET -> "stmt_reset";
            case Command.COM_SET_OPTION -> "set_option";
            case Command.COM_STMT_FETCH -> "stmt_fetch";
            case Command.COM_RESET_CONNECTION -> "reset_connection";
            case Command.COM_STMT_BULK_EXECUTE -> "stmt_bulk_execute";
            default -> null;
        };
    }

    /**
     * What a COM_QUERY statement is, from its first keyword: read from the packet's bytes after
     * blanks, {@code (} and comments, without decoding or allocating.
     */
    enum QueryKind {
        SELECT("select"), INSERT("insert"), UPDATE("update"), DELETE("delete"), REPLACE("replace"),
        BEGIN("begin"), COMMIT("commit"), ROLLBACK("rollback"), SET("set"), SHOW("show"), USE("use"),
        CALL("call"), DDL("ddl"), OTHER("other");

        final String tag;

        QueryKind(String tag) {
            this.tag = tag;
        }

        static QueryKind of(ByteBuf b, int from, int to) {
            int i = skipBlanks(b, from, to);
            int start = i;
            while (i < to && i - start < 12 && Character.isLetter(b.getByte(i))) {
                i++;
            }
            int n = i - start;
            if (n < 3) {
                return OTHER;
            }
            return switch (lower(b.getByte(start))) {
                case 's' -> is(b, start, n, "select") ? SELECT : is(b, start, n, "set") ? SET : is(b, start, n, "show") ? SHOW
                        : is(b, start, n, "start") ? BEGIN : OTHER;
                case 'i' -> is(b, start, n, "insert") ? INSERT : OTHER;
                case 'u' -> is(b, start, n, "update") ? UPDATE : is(b, start, n, "use") ? USE : OTHER;
                case 'd' -> is(b, start, n, "delete") ? DELETE : is(b, start, n, "drop") ? DDL : OTHER;
                case 'r' -> is(b, start, n, "replace") ? REPLACE : is(b, start, n, "rollback") ? ROLLBACK
                        : is(b, start, n, "rename") ? DDL : OTHER;
                case 'b' -> is(b, start, n, "begin") ? BEGIN : OTHER;
                case 'c' -> is(b, start, n, "commit") ? COMMIT : is(b, start, n, "call") ? CALL
                        : is(b, start, n, "create") ? DDL : OTHER;
                case 'a' -> is(b, start, n, "alter") ? DDL : OTHER;
                case 't' -> is(b, start, n, "truncate") ? DDL : OTHER;
                default -> OTHER;
            };
        }

        private static int skipBlanks(ByteBuf b, int i, int to) {
            while (i < to) {
                byte c = b.getByte(i);
                if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(') {
                    i++;
                } else if (c == '/' && i + 1 < to && b.getByte(i + 1) == '*') {
                    i += 2;
                    while (i + 1 < to && !(b.getByte(i) == '*' && b.getByte(i + 1) == '/')) {
                        i++;
                    }
                    i += 2;
                } else if ((c == '#' || (c == '-' && i + 1 < to && b.getByte(i + 1) == '-'))) {
                    while (i < to && b.getByte(i) != '\n') {
                        i++;
                    }
                } else {
                    break;
                }
            }
            return i;
        }

        private static boolean is(ByteBuf b, int start, int n, String word) {
            if (n != word.length()) {
                return false;
            }
            for (int k = 0; k < n; k++) {
                if (lower(b.getByte(start + k)) != word.charAt(k)) {
                    return false;
                }
            }
            return true;
        }

        private static char lower(byte c) {
            return (char) (c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
    }
}
