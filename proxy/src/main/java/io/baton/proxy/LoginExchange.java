package io.baton.proxy;

import io.baton.protocol.Capabilities;
import io.baton.protocol.MySqlError;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ServerStatus;
import io.baton.protocol.auth.AuthPluginNames;
import io.baton.protocol.auth.CachingSha2Password;
import io.baton.protocol.auth.NativePassword;
import io.baton.protocol.auth.RsaPasswordCipher;
import io.baton.protocol.message.AuthMoreData;
import io.baton.protocol.message.AuthSwitchRequest;
import io.baton.protocol.message.ComChangeUser;
import io.baton.protocol.message.HandshakeResponse41;
import io.baton.protocol.message.HandshakeV10;
import io.netty.buffer.ByteBuf;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The login exchange of one client connection, as a server runs it: Baton's HandshakeV10 with its
 * own scramble, an optional SSLRequest (TLS added to the pipeline), the HandshakeResponse41, an
 * AuthSwitch when the client answered for another plugin, and the caching_sha2 fast path or full
 * path (the password in clear inside TLS, or RSA-encrypted with Baton's key; checked on the
 * password-check workers, never on the event loop). It ends in {@link ClientSession#loggedIn} with
 * the account it proved, or in an ERR that closes the session. It also verifies COM_CHANGE_USER
 * with the connection's scramble. Runs on the session's event loop; phases GREETING and AUTH_SWITCH
 * of {@link ClientSession.Phase} are its own.
 */
final class LoginExchange {
    /** The session's logger: operators' log settings name ClientSession for everything a session logs. */
    private static final Logger log = LoggerFactory.getLogger(ClientSession.class);
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final int MAX_HANDSHAKE_PACKET = 1 << 20;
    private static final int FULL_AUTH_CHECKING = 3;

    private final ClientSession s;
    private byte[] scramble;
    private String authPlugin;
    private HandshakeResponse41 login;
    /** What the session's server logins need of {@link #login}, kept once the login is done (the rest is dropped). */
    private long maxPacketSize;
    private java.util.Map<String, String> connectAttributes;
    private UserDirectory.Account account;
    /** SHA1(password) from the client's native login, for an account configured with its *HEX hash only. */
    private byte[] nativeStage1;
    /**
     * caching_sha2 full path in progress: 0 no, 1 waiting for the password or a key request, 2 for the
     * RSA-encrypted one, {@link #FULL_AUTH_CHECKING} while it is checked off the event loop.
     */
    private int fullAuthStep;
    private ScheduledFuture<?> loginDeadline;
    /** Bytes that arrived right behind the SSLRequest (the TLS ClientHello): they must go through TLS. */
    private ByteBuf afterSslRequest;

    LoginExchange(ClientSession session) {
        this.s = session;
    }

    /** The account the client proved (null before). */
    UserDirectory.Account account() {
        return account;
    }

    /** The client's HandshakeResponse41 (null before it arrived, and after {@link #done}). */
    HandshakeResponse41 login() {
        return login;
    }

    /** The client's max_packet_size, sent on the session's server logins. */
    long maxPacketSize() {
        return maxPacketSize;
    }

    /** The client's connection attributes (shared with sessions that sent the same), sent on its server logins. */
    java.util.Map<String, String> connectAttributes() {
        return connectAttributes;
    }

    /** The client is logged in: what only the login needed goes (an idle session keeps less). */
    void done() {
        login = null; // (the scramble stays: COM_CHANGE_USER is checked with it)
        // Only now: a client that never logs in must not fill the shared table (and make it start over).
        connectAttributes = s.server.sharedAttributes().of(connectAttributes);
    }

    /** For an account known by its *HEX hash only: SHA1(password) recovered from the native login, else null. */
    byte[] nativeStage1() {
        return nativeStage1;
    }

    /** Sends the greeting (capabilities {@code offered}) and starts the login deadline (limits.connectTimeout). */
    void greet(int offered) {
        scramble = newScramble();
        authPlugin = s.server.defaultAuthPlugin();
        HandshakeV10 hello = new HandshakeV10(s.server.serverVersion(), s.id(), scramble, offered,
                s.server.defaultCharacterSet(), ServerStatus.SERVER_STATUS_AUTOCOMMIT, authPlugin, 0);
        s.capabilities = offered;
        s.seq = 0;
        s.write(hello::encode);
        s.ch.flush();
        long timeout = s.server.settings().connectTimeout().toMillis();
        loginDeadline = s.ch.eventLoop().schedule(() -> {
            if (s.phase == ClientSession.Phase.GREETING || s.phase == ClientSession.Phase.AUTH_SWITCH) {
                s.server.metrics().refused("handshake_timeout");
                s.sendErrAndClose(MySqlError.ER_HANDSHAKE_ERROR.withMessage(
                        "Bad handshake: no login within " + timeout + " ms"), s.seq + 1);
            }
        }, timeout, TimeUnit.MILLISECONDS);
    }

    private static byte[] newScramble() {
        // Printable, never NUL (it is NUL-terminated): 93 values, each from two of the byte values below 186 (the others
        // are drawn again), so all equally likely. Drawn 32 at a time: a SecureRandom call costs a lock and a buffer.
        byte[] b = new byte[20];
        byte[] r = new byte[32];
        int n = 0;
        while (n < b.length) {
            RANDOM.nextBytes(r);
            for (int i = 0; i < r.length && n < b.length; i++) {
                int v = r[i] & 0xFF;
                if (v < 2 * (0x7E - 0x21)) {
                    b[n++] = (byte) (0x21 + v % (0x7E - 0x21));
                }
            }
        }
        return b;
    }

    /** The TLS handshake bytes that came right behind the SSLRequest, once (the caller sends them through TLS). */
    ByteBuf takeAfterSslRequest() {
        ByteBuf b = afterSslRequest;
        afterSslRequest = null;
        return b;
    }

    void read() {
        while (s.in != null && (s.phase == ClientSession.Phase.GREETING || s.phase == ClientSession.Phase.AUTH_SWITCH)) {
            int frame = Packets.completeFrameLength(s.in, s.in.readerIndex(), MAX_HANDSHAKE_PACKET);
            if (frame < 0) {
                return;
            }
            s.seq = Packets.sequenceId(s.in, s.in.readerIndex());
            ByteBuf payload = s.in.retainedSlice(s.in.readerIndex() + Packets.HEADER_SIZE, frame - Packets.HEADER_SIZE);
            s.in.skipBytes(frame);
            try {
                if (s.phase == ClientSession.Phase.GREETING) {
                    onHandshakeResponse(payload);
                    if (afterSslRequest != null) {
                        return;
                    }
                } else {
                    onAuthSwitchResponse(payload);
                }
            } finally {
                payload.release();
            }
        }
    }

    private void onHandshakeResponse(ByteBuf p) {
        int caps = p.readableBytes() >= 4 ? p.getIntLE(p.readerIndex()) : 0;
        if (p.readableBytes() == 32 && (caps & Capabilities.CLIENT_SSL) != 0) {
            if (s.server.clientTls() == null) {
                throw new ProtocolException(MySqlError.ER_HANDSHAKE_ERROR.withMessage("Bad handshake: TLS is not enabled"));
            }
            // SSLRequest: the rest of the login happens inside TLS.
            SslHandler tls = s.server.clientTls().newHandler(s.ch.alloc());
            s.ch.pipeline().addFirst("tls", tls);
            if (s.in.isReadable()) {
                afterSslRequest = s.in.readRetainedSlice(s.in.readableBytes());
            }
            return;
        }
        HandshakeResponse41 r = HandshakeResponse41.decode(p);
        login = r;
        maxPacketSize = r.maxPacketSize();
        connectAttributes = r.connectAttributes(); // shared once the client has proved who it is (done)
        s.capabilities &= r.capabilities();
        if ((s.capabilities & Capabilities.CLIENT_PROTOCOL_41) == 0) {
            throw new ProtocolException(MySqlError.ER_HANDSHAKE_ERROR.withMessage("Bad handshake: the client lacks CLIENT_PROTOCOL_41"));
        }
        account = s.server.users().find(r.username());
        String clientPlugin = (r.capabilities() & Capabilities.CLIENT_PLUGIN_AUTH) != 0 && r.authPluginName() != null
                ? r.authPluginName() : AuthPluginNames.MYSQL_NATIVE_PASSWORD;
        if (account == null) {
            denied(r.authResponse().length > 0);
            return;
        }
        if (!clientPlugin.equals(AuthPluginNames.MYSQL_NATIVE_PASSWORD)
                && !clientPlugin.equals(AuthPluginNames.CACHING_SHA2_PASSWORD)) {
            switchAuth(authPlugin);
            return;
        }
        if (!clientPlugin.equals(authPlugin) && r.authResponse().length > 0) {
            // The client answered for another plugin than the one offered: ask again, as a server does.
            switchAuth(clientPlugin);
            return;
        }
        verify(clientPlugin, r.authResponse());
    }

    private void switchAuth(String plugin) {
        authPlugin = plugin;
        scramble = newScramble();
        s.phase = ClientSession.Phase.AUTH_SWITCH;
        s.seq++;
        s.write(AuthSwitchRequest.withScramble(plugin, scramble)::encode);
        s.ch.flush();
    }

    private void onAuthSwitchResponse(ByteBuf p) {
        byte[] resp = new byte[p.readableBytes()];
        p.readBytes(resp);
        if (fullAuthStep > 0) {
            onFullAuthentication(resp);
            return;
        }
        verify(authPlugin, resp);
    }

    /**
     * Checks a scramble for the plugin the client used. An account known only by its server hash is
     * checked with what that hash allows: a *HEX hash checks native scrambles (a caching_sha2 client is
     * switched to native), a caching_sha2 hash checks the password on the full path (a native client is
     * switched to caching_sha2).
     */
    private void verify(String plugin, byte[] response) {
        boolean ok;
        if (account.emptyPassword()) {
            ok = response.length == 0 || (response.length == 1 && response[0] == 0);
        } else if (plugin.equals(AuthPluginNames.CACHING_SHA2_PASSWORD)) {
            byte[] fast = account.fastAuthHash();
            if (fast == null && account.needsFullAuthentication()) {
                // As a server with an empty cache: ask for the password itself (over TLS, or RSA-encrypted).
                fullAuthStep = 1;
                s.phase = ClientSession.Phase.AUTH_SWITCH; // the next packets answer Baton, not the greeting
                s.seq++;
                s.write(new AuthMoreData(new byte[] {(byte) CachingSha2Password.PERFORM_FULL_AUTHENTICATION})::encode);
                s.ch.flush();
                return;
            }
            if (fast == null) {
                switchAuth(AuthPluginNames.MYSQL_NATIVE_PASSWORD); // only the native hash is known
                return;
            }
            ok = CachingSha2Password.verifyFast(response, scramble, fast);
        } else {
            byte[] stored = account.nativeStoredHash();
            if (stored == null) {
                switchAuth(AuthPluginNames.CACHING_SHA2_PASSWORD); // only the caching_sha2 hash is known
                return;
            }
            byte[] stage1 = response.length == 20 ? NativePassword.recoverStage1Hash(response, scramble, stored) : null;
            ok = stage1 != null;
            nativeStage1 = ok && account.password() == null ? stage1 : null;
        }
        if (!ok) {
            denied(response.length > 0);
            return;
        }
        if (plugin.equals(AuthPluginNames.CACHING_SHA2_PASSWORD) && !account.emptyPassword()) {
            s.seq++;
            s.write(new AuthMoreData(new byte[] {(byte) CachingSha2Password.FAST_AUTH_SUCCESS})::encode);
        }
        loggedIn();
    }

    /**
     * caching_sha2 full path: the password in clear (only inside TLS), or a request for Baton's RSA
     * public key and then the password encrypted with it; checked against the stored form.
     */
    private void onFullAuthentication(byte[] resp) {
        if (fullAuthStep == FULL_AUTH_CHECKING) {
            throw new ProtocolException(MySqlError.ER_HANDSHAKE_ERROR.withMessage(
                    "Bad handshake: a packet while the password is being checked"));
        }
        boolean tls = s.ch.pipeline().get("tls") != null;
        boolean encrypted;
        if (fullAuthStep == 1 && tls) {
            encrypted = false;
        } else if (fullAuthStep == 1 && resp.length == 1 && resp[0] == CachingSha2Password.REQUEST_PUBLIC_KEY) {
            fullAuthStep = 2;
            s.seq++;
            byte[] pem = s.server.rsaPublicKeyPem().getBytes(StandardCharsets.US_ASCII);
            s.write(new AuthMoreData(pem)::encode);
            s.ch.flush();
            return;
        } else if (fullAuthStep == 2) {
            encrypted = true;
        } else {
            fullAuthStep = 0;
            denied(true); // a cleartext password over plain TCP: refused, as a server does
            return;
        }
        // RSA decryption and SHA-256 crypt take milliseconds (seconds with many digest rounds): never on the
        // event loop. The answer comes back to it; the login deadline still applies meanwhile.
        fullAuthStep = FULL_AUTH_CHECKING;
        UserDirectory.Account acc = account;
        byte[] nonce = scramble;
        try {
            s.server.passwordChecks().execute(() -> {
                boolean ok;
                try {
                    byte[] password = encrypted ? RsaPasswordCipher.decrypt(resp, nonce, s.server.rsaPrivateKey())
                            : CachingSha2Password.passwordFromCleartext(resp);
                    ok = acc.verifyFull(password);
                } catch (RuntimeException e) {
                    ok = false; // not encrypted with Baton's key: a wrong login, not an internal error
                }
                boolean verdict = ok;
                executeOnLoop(() -> {
                    if (s.phase != ClientSession.Phase.AUTH_SWITCH || fullAuthStep != FULL_AUTH_CHECKING) {
                        return; // closed meanwhile (login deadline, client gone)
                    }
                    fullAuthStep = 0;
                    if (verdict) {
                        loggedIn();
                    } else {
                        denied(true);
                    }
                });
            });
        } catch (java.util.concurrent.RejectedExecutionException busy) {
            fullAuthStep = 0;
            s.server.metrics().refused("password_checks_busy");
            s.sendErrAndClose(MySqlError.ER_CON_COUNT_ERROR.withMessage("Too many connections: Baton is checking "
                    + "too many passwords at once; try again"), s.seq + 1);
        }
    }

    /** Runs on this session's event loop; nothing if the loop has stopped (the proxy is closing). */
    private void executeOnLoop(Runnable r) {
        try {
            s.ch.eventLoop().execute(r);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
            // the session goes with its event loop
        }
    }

    private void loggedIn() {
        cancelDeadline();
        s.loggedIn();
    }

    private void denied(boolean usingPassword) {
        s.server.metrics().refused("access_denied");
        log.info("access denied for user '{}' from {}", login.username(), remoteHost()); // never the password
        s.sendErrAndClose(MySqlError.accessDenied(login.username(), remoteHost(), usingPassword), s.seq + 1);
    }

    String remoteHost() {
        return s.ch.remoteAddress() instanceof InetSocketAddress a ? a.getAddress().getHostAddress() : "unknown";
    }

    void cancelDeadline() {
        if (loginDeadline != null) {
            loginDeadline.cancel(false);
            loginDeadline = null;
        }
    }

    /**
     * COM_CHANGE_USER: checks the new user's scramble against Baton's directory with the connection's
     * scramble, as a server does (no AuthSwitch inside it). On success the exchange holds the new account.
     */
    boolean verifyChangeUser(ComChangeUser cu) {
        UserDirectory.Account acc = s.server.users().find(cu.user());
        String plugin = cu.authPluginName() != null ? cu.authPluginName() : AuthPluginNames.MYSQL_NATIVE_PASSWORD;
        byte[] response = cu.authResponse();
        boolean ok;
        byte[] stage1 = null;
        if (acc == null) {
            ok = false;
        } else if (acc.emptyPassword()) {
            ok = response.length == 0;
        } else if (plugin.equals(AuthPluginNames.CACHING_SHA2_PASSWORD)) {
            // A server-hash account not yet proven on the full path cannot be checked here (no AuthSwitch
            // inside COM_CHANGE_USER): denied, as a server without a cache entry would need TLS or RSA.
            byte[] fast = acc.fastAuthHash();
            ok = fast != null && CachingSha2Password.verifyFast(response, scramble, fast);
        } else {
            byte[] stored = acc.nativeStoredHash();
            stage1 = stored != null && response.length == 20 ? NativePassword.recoverStage1Hash(response, scramble, stored)
                    : null;
            ok = stage1 != null;
        }
        if (!ok) {
            s.server.metrics().refused("access_denied");
            log.info("access denied for user '{}' from {} (change user)", cu.user(), remoteHost());
            return false;
        }
        account = acc;
        nativeStage1 = acc.password() == null ? stage1 : null;
        return true;
    }

    /** Frees what the exchange holds (the session closes). */
    void release() {
        cancelDeadline();
        if (afterSslRequest != null) {
            afterSslRequest.release();
            afterSslRequest = null;
        }
    }
}
