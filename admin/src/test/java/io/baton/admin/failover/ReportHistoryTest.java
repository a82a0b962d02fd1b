package io.baton.admin.failover;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reports kept as JSON: the fields added for errant transactions and the candidate read back, and old files still load. */
class ReportHistoryTest {

    @Test
    void theCandidateAndTheErrantTransactionsAreKeptAndReportsWithoutThemStillLoad(@TempDir Path dir) throws Exception {
        ReportHistory h = new ReportHistory(dir);
        FailoverReport r = new FailoverReport(h.nextId(), FailoverReport.Kind.FAILOVER, "test", "db1");
        r.candidate("db2");
        r.errantTransactions("db3", "9d2b3c4e-1111-11ee-8f3b-0242ac120003:1");
        r.addStep(new FailoverReport.StepRecord("promote the candidate", 1, 2, false, "db2 failed during promotion: gone"));
        r.fail("promote the candidate", "db2 failed during promotion: gone");
        h.add(r);
        // A report written before these fields existed.
        Files.writeString(dir.resolve("report-000000.json"), """
                {"id":0,"kind":"FAILOVER","trigger":"old","oldSource":"db9","newSource":"db8","startedAtMillis":1,
                 "finishedAtMillis":2,"outcome":"SUCCEEDED","steps":[],"positions":{},"warnings":[],"leftOut":[]}
                """);

        ReportHistory again = new ReportHistory(dir);
        FailoverReport back = again.all().get(0);
        assertEquals("db2", back.candidate());
        assertEquals(Map.of("db3", "9d2b3c4e-1111-11ee-8f3b-0242ac120003:1"), back.errantTransactions());
        assertEquals("promote the candidate", back.stoppedAt());
        assertTrue(back.headline().contains("candidate db2 not promoted"), back.headline());
        FailoverReport old = again.all().get(1);
        assertEquals("db8", old.newSource());
        assertNull(old.candidate());
        assertTrue(old.errantTransactions().isEmpty());
    }
}
