package io.baton.admin.console;

import io.baton.admin.config.BatonConfig;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One console connection, read top to bottom: greeting, then one command per line until QUIT, end
 * of input, too many failed logins or the idle timeout. Before AUTH only AUTH, HELP and QUIT work.
 * Runs on its own thread (a plain blocking socket); nothing here touches a Netty event loop.
 */
final class ConsoleSession implements Runnable, ConsoleCommands.Caller {
    private static final Logger log = LoggerFactory.getLogger(ConsoleSession.class);
    static final int MAX_LINE_BYTES = 8192;
    /** Longest wait for AUTH on a new connection, whatever admin.idleTimeout says. */
    static final Duration LOGIN_TIMEOUT = Duration.ofMinutes(1);

    private final Socket socket;
    private final BatonConfig config;
    private final AdminPassword password;
    private final LoginThrottle throttle;
    private final ConsoleCommands commands;
    private final String peer;
    private ConsoleOutput out;
    private boolean authenticated;
    private int failedLogins;

    ConsoleSession(Socket socket, BatonConfig config, AdminPassword password, LoginThrottle throttle,
                   ConsoleCommands commands) {
        this.socket = socket;
        this.config = config;
        this.password = password;
        this.throttle = throttle;
        this.commands = commands;
        this.peer = socket.getInetAddress().getHostAddress() + ":" + socket.getPort();
    }

    @Override
    public String who() {
        return "console " + peer;
    }

    @Override
    public ConsoleOutput out() {
        return out;
    }

    @Override
    public void run() {
        log.debug("console connection from {}", peer);
        try (socket) {
            socket.setTcpNoDelay(true);
            out = new ConsoleOutput(socket.getOutputStream());
            InputStream in = socket.getInputStream();
            out.banner("Baton admin console " + version() + ". AUTH <password> to log in; HELP lists the commands; QUIT leaves.");
            out.prompt();
            while (true) {
                Duration idle = authenticated ? config.admin.idleTimeout : min(config.admin.idleTimeout, LOGIN_TIMEOUT);
                socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, idle.toMillis())));
                String line;
                try {
                    line = readLine(in);
                } catch (SocketTimeoutException e) {
                    out.reply("", Reply.error("idle for " + ConsoleCommands.age(idle.toMillis())
                            + (authenticated ? " (admin.idleTimeout)" : " without logging in") + ": closing the connection"));
                    log.debug("console {} closed after {} idle", peer, idle);
                    return;
                } catch (LineTooLongException e) {
                    out.reply("", Reply.error("line longer than " + MAX_LINE_BYTES + " bytes: ignored"));
                    out.prompt();
                    continue;
                }
                if (line == null) {
                    log.debug("console {} disconnected", peer);
                    return;
                }
                line = line.strip();
                if (line.isEmpty()) {
                    out.prompt();
                    continue;
                }
                Reply r = handle(line);
                if (r.closes) {
                    return;
                }
                out.prompt();
            }
        } catch (IOException | UncheckedIOException e) {
            log.debug("console {} ended: {}", peer, e.toString());
        } catch (RuntimeException e) {
            log.error("console {} failed", peer, e);
        }
    }

    /** Runs one line and writes its answer; returns the reply (closes: end the connection). */
    private Reply handle(String line) {
        List<String> words = CommandCatalog.words(line);
        String first = words.isEmpty() ? "" : CommandCatalog.upper(words.get(0));
        if (first.equals("AUTH")) {
            // The password is the raw rest of the line (spaces kept); it is never echoed or logged.
            String attempt = line.regionMatches(true, 0, "AUTH", 0, 4) ? line.substring(4).strip()
                    : String.join(" ", words.subList(1, words.size()));
            Reply r = auth(attempt);
            out.reply("AUTH", r);
            return r;
        }
        Optional<CommandCatalog.Spec> spec = CommandCatalog.find(words);
        Reply r;
        String name;
        if (spec.isEmpty()) {
            name = first;
            r = unknown(words);
        } else {
            CommandCatalog.Spec s = spec.get();
            name = s.name();
            List<String> args = words.subList(s.words(), words.size());
            if (s.name().equals("QUIT")) {
                r = Reply.ok("bye").closing();
            } else if (s.name().equals("HELP")) {
                r = ConsoleHelp.help(args, authenticated);
            } else if (!authenticated) {
                r = Reply.error("not logged in: AUTH <password> first (before AUTH only AUTH, HELP and QUIT work)");
            } else {
                try {
                    r = commands.run(s, args, this);
                } catch (UncheckedIOException e) {
                    throw e; // the client went away while the command streamed its steps
                } catch (RuntimeException e) {
                    log.error("console {}: {} failed", peer, s.name(), e);
                    r = Reply.error(s.name() + " failed unexpectedly: " + e);
                }
            }
        }
        out.reply(name, r);
        return r;
    }

    private Reply auth(String attempt) {
        if (password.matches(attempt)) {
            authenticated = true;
            failedLogins = 0;
            log.info("console {}: logged in", peer);
            return Reply.ok("logged in; HELP lists the commands");
        }
        authenticated = false;
        failedLogins++;
        long delay = throttle.failed(failedLogins);
        log.warn("console {}: wrong admin password (attempt {} on this connection; answering in {} ms)", peer, failedLogins,
                delay);
        sleep(delay);
        if (failedLogins >= LoginThrottle.MAX_PER_CONNECTION) {
            return Reply.error("wrong password; " + failedLogins + " failed attempts on this connection: closing it").closing();
        }
        return Reply.error("wrong password (attempt " + failedLogins + " of " + LoginThrottle.MAX_PER_CONNECTION
                + " on this connection; each failure waits longer)").data("delayMillis", delay);
    }

    private Reply unknown(List<String> words) {
        List<String> close = CommandCatalog.closest(words, authenticated);
        List<CommandCatalog.Spec> family = CommandCatalog.family(words.get(0));
        // Before AUTH the typed text is never echoed: it may be a password typed on the wrong line.
        String what = authenticated ? "unknown command '" + String.join(" ", words.subList(0, Math.min(2, words.size())))
                + "'" : "unknown command";
        if (!family.isEmpty() && authenticated) {
            return Reply.error(CommandCatalog.upper(words.get(0)) + " needs one of: " + family.stream()
                    .map(s -> s.name().substring(s.name().indexOf(' ') + 1)).reduce((a, b) -> a + ", " + b).orElse("")
                    + (close.isEmpty() ? "" : "; did you mean " + String.join(" or ", close) + "?"));
        }
        if (!authenticated) {
            return Reply.error(what + (close.isEmpty() ? ";" : "; did you mean " + String.join(" or ", close) + "?")
                    + " before AUTH only AUTH <password>, HELP and QUIT work");
        }
        return Reply.error(what + (close.isEmpty() ? ";" : "; did you mean " + String.join(" or ", close) + "?")
                + " HELP lists the commands");
    }

    /** A line without its end (LF, CRLF, or telnet's CR NUL), or null at the end of input. */
    private static String readLine(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream(64);
        boolean tooLong = false;
        while (true) {
            int b = in.read();
            if (b < 0) {
                return buf.size() == 0 && !tooLong ? null : finish(buf, tooLong);
            }
            if (b == '\n') {
                return finish(buf, tooLong);
            }
            if (b == '\r' || b == 0) {
                continue;
            }
            if (buf.size() >= MAX_LINE_BYTES) {
                tooLong = true;
                continue; // drop the rest of the line
            }
            buf.write(b);
        }
    }

    private static String finish(ByteArrayOutputStream buf, boolean tooLong) throws LineTooLongException {
        if (tooLong) {
            throw new LineTooLongException();
        }
        StringBuilder sb = new StringBuilder();
        for (char c : buf.toString(StandardCharsets.UTF_8).toCharArray()) {
            if (c >= ' ' || c == '\t') {
                sb.append(c); // telnet control sequences and other control bytes are dropped
            }
        }
        return sb.toString();
    }

    private static final class LineTooLongException extends IOException {
        private static final long serialVersionUID = 1L;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new UncheckedIOException(new IOException("console closing"));
        }
    }

    static String version() {
        String v = ConsoleSession.class.getPackage().getImplementationVersion();
        return v == null ? "dev" : v;
    }

    /** Closes the connection from another thread (the console is shutting down). */
    void kill() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }
}
