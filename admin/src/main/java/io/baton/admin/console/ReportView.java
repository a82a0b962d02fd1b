package io.baton.admin.console;

import io.baton.admin.failover.FailoverReport;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** How a failover, switchover or rejoin report reads on the console: its lines, its step table, its JSON. */
final class ReportView {
    private ReportView() {
    }

    static void describe(Reply reply, FailoverReport r) {
        reply.line(r.headline());
        Table steps = new Table("steps-" + r.id(), null).column("#", "n").column("STEP", "name").column("RESULT", "status")
                .column("MS", "durationMillis").column("DETAIL", "result");
        int i = 0;
        for (FailoverReport.StepRecord s : r.steps()) {
            Map<String, Object> row = steps.row();
            row.put("n", ++i);
            row.put("name", s.name());
            row.put("status", s.ok() ? "ok" : "FAILED");
            row.put("durationMillis", s.durationMillis());
            row.put("result", s.result());
        }
        reply.blocks.add(new Reply.TableBlock(steps)); // JSON carries the steps in the report object
        reply.lines(details(r));
    }

    static List<String> details(FailoverReport r) {
        List<String> out = new ArrayList<>();
        if (r.choiceReason() != null) {
            out.add("choice: " + r.choiceReason());
        }
        r.positions().entrySet().stream().sorted(Map.Entry.comparingByKey())
                .forEach(e -> out.add("position " + e.getKey() + ": " + e.getValue()));
        r.leftOut().forEach(l -> out.add("left out " + l));
        r.errantTransactions().forEach((server, trx) -> out.add("errant transactions on " + server + ": " + trx));
        if (r.recovery() != null) {
            out.add("recovery: " + r.recovery());
        }
        r.retries().forEach(x -> out.add("retry: " + x));
        r.warnings().forEach(w -> out.add("warning: " + w));
        return out;
    }

    static Map<String, Object> reportJson(FailoverReport r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("id", r.id());
        m.put("kind", r.kind().name().toLowerCase(Locale.ROOT));
        m.put("trigger", r.trigger());
        m.put("oldSource", r.oldSource());
        m.put("newSource", r.newSource());
        m.put("outcome", r.outcome().name().toLowerCase(Locale.ROOT));
        m.put("startedAt", r.startedAt().toString());
        m.put("finishedAt", r.finishedAt() == null ? null : r.finishedAt().toString());
        m.put("durationMillis", r.duration().toMillis());
        m.put("stoppedAt", r.stoppedAt());
        m.put("failure", r.failure());
        m.put("candidate", r.candidate());
        m.put("choiceReason", r.choiceReason());
        List<Map<String, Object>> steps = new ArrayList<>();
        for (FailoverReport.StepRecord s : r.steps()) {
            Map<String, Object> x = new LinkedHashMap<>();
            x.put("name", s.name());
            x.put("startedAt", s.startedAt().toString());
            x.put("durationMillis", s.durationMillis());
            x.put("ok", s.ok());
            x.put("result", s.result());
            steps.add(x);
        }
        m.put("steps", steps);
        m.put("positions", new LinkedHashMap<>(r.positions()));
        m.put("leftOut", r.leftOut());
        m.put("errantTransactions", new LinkedHashMap<>(r.errantTransactions()));
        m.put("warnings", r.warnings());
        m.put("routed", r.isRouted());
        m.put("recovery", r.recovery());
        m.put("retries", r.retries());
        return m;
    }
}
