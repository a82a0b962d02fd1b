package io.baton.admin.console;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * The client side of the console's line protocol, for {@code ./baton admin} and for tests: sends
 * one command, hands each line of the answer on as it arrives (steps stream), and tells OK from
 * ERROR. In TABLE format the answer ends with the line at column 0 that starts with OK or ERROR,
 * followed by the prompt; in JSON format with the object that has an "ok" field, and there is no
 * prompt.
 */
public final class ConsoleClient implements AutoCloseable {

    /** One command's answer: whether it ended OK, its lines, and the last one (OK ... / ERROR ... / JSON). */
    public record Answer(boolean ok, List<String> lines, String last) {
        /** The message of the final line (without OK / ERROR, or the JSON "message"/"error"). */
        public String message() {
            if (last.startsWith("{")) {
                try {
                    JsonNode n = ConsoleOutput.JSON.readTree(last);
                    return n.path(ok ? "message" : "error").asText();
                } catch (IOException e) {
                    return last;
                }
            }
            return last.startsWith("ERROR") ? last.substring(5).strip() : last.substring(2).strip();
        }
    }

    private final Socket socket;
    private final InputStream in;
    private final OutputStream out;
    private final String greeting;
    private boolean json;
    private boolean promptPending;

    private ConsoleClient(Socket socket) throws IOException {
        this.socket = socket;
        this.in = socket.getInputStream();
        this.out = socket.getOutputStream();
        String first = readLine();
        if (first == null) {
            throw new IOException("the console closed the connection at once");
        }
        if (first.startsWith("ERROR")) {
            throw new IOException(first.substring(5).strip());
        }
        this.greeting = first;
        this.promptPending = true;
    }

    /** Connects and reads the greeting. */
    public static ConsoleClient connect(String host, int port, Duration timeout) throws IOException {
        Socket s = new Socket();
        try {
            s.connect(new InetSocketAddress(host, port), (int) timeout.toMillis());
            s.setTcpNoDelay(true);
            s.setSoTimeout((int) timeout.toMillis());
            ConsoleClient c = new ConsoleClient(s);
            s.setSoTimeout(0); // a switchover may take a while; the server bounds every step
            return c;
        } catch (IOException e) {
            s.close();
            throw e;
        }
    }

    public String greeting() {
        return greeting;
    }

    /** Logs in; the answer says whether the password was right. */
    public Answer auth(String password) throws IOException {
        return send("AUTH " + password, line -> { });
    }

    /** FORMAT JSON (true) or FORMAT TABLE. */
    public Answer format(boolean jsonFormat) throws IOException {
        return send("FORMAT " + (jsonFormat ? "JSON" : "TABLE"), line -> { });
    }

    /** Sends one command and reads its answer, giving each line to {@code each} as it arrives. */
    public Answer send(String command, Consumer<String> each) throws IOException {
        if (command.indexOf('\n') >= 0 || command.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("one command per line: no line breaks in '" + command.strip() + "'");
        }
        out.write((command + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        List<String> lines = new ArrayList<>();
        while (true) {
            String line = readLine();
            if (line == null) {
                throw new EOFException("the console closed the connection" + (lines.isEmpty() ? ""
                        : " after: " + lines.get(lines.size() - 1)));
            }
            lines.add(line);
            each.accept(line);
            // Text data lines are indented, so a line at column 0 is either the verdict or a JSON object.
            boolean isJson = line.startsWith("{");
            Boolean end = isJson ? jsonEnd(line) : textEnd(line);
            if (end != null) {
                json = isJson; // the server prompts after a TABLE answer only
                promptPending = !isJson;
                return new Answer(end, List.copyOf(lines), line);
            }
        }
    }

    /** Whether the last answer came in JSON. */
    public boolean json() {
        return json;
    }

    private static Boolean textEnd(String line) {
        if (line.equals("OK") || line.startsWith("OK ")) {
            return true;
        }
        if (line.equals("ERROR") || line.startsWith("ERROR ")) {
            return false;
        }
        return null;
    }

    private static Boolean jsonEnd(String line) {
        try {
            JsonNode n = ConsoleOutput.JSON.readTree(line);
            return n.has("ok") ? n.get("ok").asBoolean() : null;
        } catch (IOException e) {
            return null;
        }
    }

    /** A line without its end; the prompt before it, if one is due, is skipped. Null at the end of input. */
    private String readLine() throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(128);
        byte[] prompt = ConsoleOutput.PROMPT.getBytes(StandardCharsets.UTF_8);
        int matched = 0;
        boolean skipping = promptPending;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return buf.size() == 0 ? null : buf.toString(StandardCharsets.UTF_8);
            }
            if (skipping) {
                if (b == prompt[matched]) {
                    if (++matched == prompt.length) {
                        skipping = false;
                        promptPending = false;
                    }
                    continue;
                }
                buf.write(prompt, 0, matched); // not the prompt after all
                skipping = false;
                promptPending = false;
            }
            if (b == '\n') {
                return buf.toString(StandardCharsets.UTF_8);
            }
            if (b != '\r') {
                buf.write(b);
            }
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
