package io.baton.admin.console;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one console command answers: blocks of text and tables for people, the same facts as
 * fields of one JSON object for scripts, and a final verdict — OK (with a short summary) or ERROR
 * (what was wrong and what would be accepted).
 */
final class Reply {
    /** One part of the text output: a table, or plain lines. */
    sealed interface Block permits TableBlock, Lines {
    }

    record TableBlock(Table table) implements Block {
    }

    record Lines(List<String> lines) implements Block {
    }

    final boolean ok;
    final String message;
    final List<Block> blocks = new ArrayList<>();
    final Map<String, Object> data = new LinkedHashMap<>();
    /** Close the connection after this reply (QUIT, too many failed logins). */
    boolean closes;

    private Reply(boolean ok, String message) {
        this.ok = ok;
        this.message = message == null ? "" : message.replace('\n', ' ').replace('\r', ' ').strip();
    }

    static Reply ok(String summary) {
        return new Reply(true, summary);
    }

    static Reply ok() {
        return new Reply(true, "");
    }

    static Reply error(String message) {
        return new Reply(false, message);
    }

    Reply table(Table t) {
        blocks.add(new TableBlock(t));
        data.put(t.key, t.rows);
        return this;
    }

    /** Text lines shown as they are (not in JSON: put the facts with {@link #data} too). */
    Reply lines(List<String> lines) {
        if (!lines.isEmpty()) {
            blocks.add(new Lines(List.copyOf(lines)));
        }
        return this;
    }

    Reply line(String line) {
        return lines(List.of(line));
    }

    Reply data(String key, Object value) {
        data.put(key, value);
        return this;
    }

    Reply closing() {
        closes = true;
        return this;
    }
}
