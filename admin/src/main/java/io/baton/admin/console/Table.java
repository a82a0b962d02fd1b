package io.baton.admin.console;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Rows for people and for scripts at once: each row is a map (all of it goes to JSON under
 * {@link #key}); the columns pick what the aligned text shows, in order, under upper-case headers.
 */
final class Table {
    /** Longest cell shown in text mode; JSON always carries the whole value. */
    static final int MAX_CELL = 96;

    record Column(String header, String key) {
    }

    final String key;
    final String title;
    final List<Column> columns = new ArrayList<>();
    final List<Map<String, Object>> rows = new ArrayList<>();

    /**
     * @param key   the JSON field the rows go to
     * @param title a line shown above the table in text mode, or null
     */
    Table(String key, String title) {
        this.key = key;
        this.title = title;
    }

    /** Adds a column: its text header and the row key it shows. */
    Table column(String header, String rowKey) {
        columns.add(new Column(header, rowKey));
        return this;
    }

    /** Starts a row; fill it with {@code put}. */
    Map<String, Object> row() {
        Map<String, Object> r = new LinkedHashMap<>();
        rows.add(r);
        return r;
    }

    /** The aligned text: a header, a rule, one line per row (or "(none)"). */
    List<String> render() {
        List<String> out = new ArrayList<>();
        if (title != null) {
            out.add(title);
        }
        if (rows.isEmpty()) {
            out.add("(none)");
            return out;
        }
        int n = columns.size();
        int[] width = new int[n];
        List<String[]> cells = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            width[i] = columns.get(i).header().length();
        }
        for (Map<String, Object> r : rows) {
            String[] line = new String[n];
            for (int i = 0; i < n; i++) {
                line[i] = cell(r.get(columns.get(i).key()));
                width[i] = Math.max(width[i], line[i].length());
            }
            cells.add(line);
        }
        String[] header = new String[n];
        String[] rule = new String[n];
        for (int i = 0; i < n; i++) {
            header[i] = columns.get(i).header();
            rule[i] = "-".repeat(width[i]);
        }
        out.add(join(header, width));
        out.add(join(rule, width));
        for (String[] line : cells) {
            out.add(join(line, width));
        }
        return out;
    }

    static String cell(Object v) {
        if (v == null) {
            return "-";
        }
        String s = v instanceof Boolean b ? (b ? "yes" : "no") : String.valueOf(v);
        s = s.replace('\n', ' ').replace('\r', ' ');
        return s.length() > MAX_CELL ? s.substring(0, MAX_CELL - 3) + "..." : s;
    }

    private static String join(String[] cells, int[] width) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            if (i > 0) {
                sb.append("  ");
            }
            sb.append(cells[i]);
            if (i < cells.length - 1) {
                sb.append(" ".repeat(width[i] - cells[i].length()));
            }
        }
        return sb.toString();
    }
}
