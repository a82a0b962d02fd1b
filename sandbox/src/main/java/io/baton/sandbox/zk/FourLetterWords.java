package io.baton.sandbox.zk;

import io.baton.sandbox.LoopbackPorts;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;

/**
 * ZooKeeper's four-letter words (the {@code 4lw.commands.whitelist} of {@link ServerFiles}): the
 * word is written on a fresh client connection, the server answers in text and closes it. No
 * ZooKeeper client (and no session) is involved, so asking never disturbs the ensemble.
 */
final class FourLetterWords {
    static final String LEADER = "leader";
    static final String FOLLOWER = "follower";
    static final String STANDALONE = "standalone";
    /** Answers, but is in no quorum (e.g. still electing, or cut off from the others). */
    static final String NOT_SERVING = "not serving";
    /** No answer within the timeout: not listening, or frozen (SIGSTOP). */
    static final String NOT_ANSWERING = "not answering";

    private FourLetterWords() {
    }

    /**
     * The server's role from {@code srvr}'s "Mode:" line: leader, follower, standalone (or observer);
     * {@link #NOT_SERVING} when it answers without one, {@link #NOT_ANSWERING} when it does not answer.
     */
    static String mode(int port, int timeoutMillis) {
        String answer;
        try {
            answer = ask(port, "srvr", timeoutMillis);
        } catch (IOException e) {
            return NOT_ANSWERING;
        }
        for (String line : answer.split("\n")) {
            if (line.startsWith("Mode:")) {
                return line.substring("Mode:".length()).strip();
            }
        }
        return NOT_SERVING;
    }

    /** Whether a mode means the server serves clients (read and write). */
    static boolean serves(String mode) {
        return LEADER.equals(mode) || FOLLOWER.equals(mode) || STANDALONE.equals(mode);
    }

    static String ask(int port, String word, int timeoutMillis) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(LoopbackPorts.HOST, port), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            OutputStream out = s.getOutputStream();
            out.write(word.getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
