package io.baton.admin.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a console session's output in its format. TABLE: every line a command prints is indented
 * by two spaces, and the command's last line, at column 0, is {@code OK [summary]} or
 * {@code ERROR <message>}; then the prompt. JSON: one object per line; streamed progress objects
 * carry {@code "event"}, and each command ends with exactly one object carrying {@code "ok"}; no
 * prompt.
 */
final class ConsoleOutput {
    enum Format { TABLE, JSON }

    static final String PROMPT = "baton> ";
    static final ObjectMapper JSON = new ObjectMapper().disable(SerializationFeature.FAIL_ON_EMPTY_BEANS);
    private static final String INDENT = "  ";

    private final Writer out;
    private Format format = Format.TABLE;

    ConsoleOutput(OutputStream stream) {
        this.out = new OutputStreamWriter(stream, StandardCharsets.UTF_8);
    }

    Format format() {
        return format;
    }

    void format(Format f) {
        this.format = f;
    }

    /** A line at column 0 that is not part of a command's answer (the greeting). */
    void banner(String line) {
        write(line + "\r\n");
        flush();
    }

    void prompt() {
        if (format == Format.TABLE) {
            write(PROMPT);
        }
        flush();
    }

    /** Progress while a command runs: text lines (TABLE) or one event object (JSON); flushed at once. */
    void progress(String text, Map<String, Object> event) {
        if (format == Format.JSON) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.putAll(event);
            write(json(o) + "\r\n");
        } else {
            for (String l : text.split("\n")) {
                write(INDENT + l + "\r\n");
            }
        }
        flush();
    }

    void reply(String command, Reply r) {
        if (format == Format.JSON) {
            Map<String, Object> o = new LinkedHashMap<>();
            o.put("ok", r.ok);
            o.put("command", command);
            if (r.ok) {
                o.put("message", r.message);
            } else {
                o.put("error", r.message);
            }
            r.data.forEach(o::putIfAbsent);
            write(json(o) + "\r\n");
        } else {
            boolean first = true;
            for (Reply.Block b : r.blocks) {
                List<String> lines = b instanceof Reply.TableBlock t ? t.table().render() : ((Reply.Lines) b).lines();
                if (!first) {
                    write("\r\n");
                }
                first = false;
                for (String l : lines) {
                    write(INDENT + l.replace("\r", "").replace("\n", "\r\n" + INDENT) + "\r\n");
                }
            }
            if (r.ok) {
                write(r.message.isEmpty() ? "OK\r\n" : "OK " + r.message + "\r\n");
            } else {
                write("ERROR " + r.message + "\r\n");
            }
        }
        flush();
    }

    static String json(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            return "{\"ok\":false,\"error\":\"cannot render JSON: " + e.getOriginalMessage().replace('"', '\'') + "\"}";
        }
    }

    private void write(String s) {
        try {
            out.write(s);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private void flush() {
        try {
            out.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
