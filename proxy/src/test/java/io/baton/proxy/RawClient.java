package io.baton.proxy;

import io.baton.protocol.Capabilities;
import io.baton.protocol.Packets;
import io.baton.protocol.auth.CachingSha2Password;
import io.baton.protocol.auth.NativePassword;
import io.baton.protocol.message.ErrPacket;
import io.baton.protocol.message.HandshakeResponse41;
import io.baton.protocol.message.HandshakeV10;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.util.Map;

/** A blocking, byte-level MySQL client for tests that must misbehave on purpose. */
public final class RawClient implements AutoCloseable {
    private final Socket socket;
    private final DataInputStream in;
    private final OutputStream out;

    public RawClient(int port) throws IOException {
        socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        in = new DataInputStream(socket.getInputStream());
        out = socket.getOutputStream();
    }

    /** One packet's payload, or null when the peer closed the connection. */
    public byte[] readPacket() throws IOException {
        byte[] h = new byte[4];
        try {
            in.readFully(h);
        } catch (java.io.EOFException e) {
            return null;
        }
        int len = (h[0] & 0xFF) | (h[1] & 0xFF) << 8 | (h[2] & 0xFF) << 16;
        byte[] p = new byte[len];
        in.readFully(p);
        return p;
    }

    public HandshakeV10 greeting() throws IOException {
        return HandshakeV10.decode(Unpooled.wrappedBuffer(readPacket()));
    }

    public void writeRaw(byte[] bytes) throws IOException {
        out.write(bytes);
        out.flush();
    }

    public void writePacket(int seq, byte[] payload) throws IOException {
        ByteBuf b = Unpooled.buffer();
        Packets.writeHeader(b, payload.length, seq);
        b.writeBytes(payload);
        byte[] all = new byte[b.readableBytes()];
        b.readBytes(all);
        writeRaw(all);
    }

    /** Logs in with the plugin the greeting offers; returns the server's answer (OK or ERR payload). */
    public byte[] login(String user, String password, String database) throws IOException {
        HandshakeV10 hs = greeting();
        String plugin = hs.authPluginName();
        byte[] auth = CachingSha2Password.PLUGIN_NAME.equals(plugin)
                ? CachingSha2Password.scramble(password, hs.authPluginData())
                : NativePassword.scramble(password, hs.authPluginData());
        int caps = Capabilities.CLIENT_PROTOCOL_41 | Capabilities.CLIENT_SECURE_CONNECTION | Capabilities.CLIENT_PLUGIN_AUTH
                | Capabilities.CLIENT_LONG_PASSWORD | Capabilities.CLIENT_TRANSACTIONS
                | (database != null ? Capabilities.CLIENT_CONNECT_WITH_DB : 0);
        HandshakeResponse41 r = new HandshakeResponse41(caps, 16 * 1024 * 1024, 45, 0, user, auth, database, plugin, Map.of(), 0);
        ByteBuf b = Unpooled.buffer();
        r.encode(b);
        byte[] payload = new byte[b.readableBytes()];
        b.readBytes(payload);
        writePacket(1, payload);
        byte[] answer = readPacket();
        if (answer != null && answer.length == 2 && answer[0] == 0x01) {
            answer = readPacket(); // caching_sha2 fast-auth success, then the OK
        }
        return answer;
    }

    /** The errno of an ERR payload, or -1 if it is not one. */
    public static int errno(byte[] payload) {
        if (payload == null || payload.length < 3 || (payload[0] & 0xFF) != 0xFF) {
            return -1;
        }
        return ErrPacket.decode(Unpooled.wrappedBuffer(payload)).errno();
    }

    /** True when the peer has closed the connection (after reading and dropping whatever it still sent). */
    public boolean closedWithin(int millis) throws IOException {
        socket.setSoTimeout(millis);
        try {
            byte[] buf = new byte[4096];
            while (true) {
                if (in.read(buf) < 0) {
                    return true;
                }
            }
        } catch (SocketTimeoutException e) {
            return false;
        } catch (IOException e) {
            return true; // reset
        }
    }

    @Override
    public void close() throws IOException {
        socket.close();
    }
}
