package io.baton.admin.failover;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Deque;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last 50 reports, newest first; with a directory ({@code failover.reportDir}) also kept as
 * JSON files, so that a later process (the CLI's rejoin) knows what an earlier failover did.
 */
public final class ReportHistory {
    private static final Logger log = LoggerFactory.getLogger(ReportHistory.class);
    public static final int KEEP = 50;
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(SerializationFeature.INDENT_OUTPUT);

    private final Deque<FailoverReport> reports = new ArrayDeque<>();
    private final Path dir;
    private long lastId;

    /** In memory only. */
    public ReportHistory() {
        this(null);
    }

    public ReportHistory(Path dir) {
        this.dir = dir;
        if (dir != null && Files.isDirectory(dir)) {
            List<FailoverReport> loaded = new ArrayList<>();
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.getFileName().toString().matches("report-\\d+\\.json")).toList()) {
                    try {
                        loaded.add(JSON.readValue(f.toFile(), FailoverReport.class));
                    } catch (IOException e) {
                        log.warn("ignoring unreadable report {}: {}", f, e.getMessage());
                    }
                }
            } catch (IOException e) {
                log.warn("cannot read reports in {}: {}", dir, e.getMessage());
            }
            loaded.sort(Comparator.comparingLong(FailoverReport::id));
            for (FailoverReport r : loaded) {
                reports.addFirst(r);
                lastId = Math.max(lastId, r.id());
            }
            while (reports.size() > KEEP) {
                reports.removeLast();
            }
        }
    }

    synchronized long nextId() {
        return ++lastId;
    }

    synchronized void add(FailoverReport r) {
        reports.addFirst(r);
        while (reports.size() > KEEP) {
            FailoverReport dropped = reports.removeLast();
            if (dir != null) {
                try {
                    Files.deleteIfExists(file(dropped.id()));
                } catch (IOException ignored) {
                    // an old file left behind is harmless
                }
            }
        }
        if (dir != null) {
            try {
                Files.createDirectories(dir);
                Path tmp = dir.resolve("report-" + r.id() + ".json.tmp");
                JSON.writeValue(tmp.toFile(), r);
                Files.move(tmp, file(r.id()), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } catch (IOException e) {
                log.warn("cannot keep report #{} in {}: {}", r.id(), dir, e.getMessage());
            }
        }
    }

    private Path file(long id) {
        return dir.resolve(String.format("report-%06d.json", id));
    }

    /** Newest first. */
    public synchronized List<FailoverReport> all() {
        return List.copyOf(reports);
    }

    public synchronized Optional<FailoverReport> latest() {
        return Optional.ofNullable(reports.peekFirst());
    }

    /** The newest failover or switchover that replaced the given source: it succeeded, or routed to its new source after a stop. */
    public synchronized Optional<FailoverReport> lastReplacing(String oldSource) {
        // A failover that stopped after its promotion and then routed to the new source replaced the old one too.
        return reports.stream().filter(r -> r.kind() != FailoverReport.Kind.REJOIN && (r.succeeded() || r.isRouted())
                && oldSource.equals(r.oldSource())).findFirst();
    }
}
