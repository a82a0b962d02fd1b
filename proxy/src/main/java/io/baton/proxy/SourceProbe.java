package io.baton.proxy;

import io.baton.protocol.Packets;
import io.baton.protocol.message.HandshakeV10;
import io.baton.proxy.routing.Endpoint;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.io.DataInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;

/**
 * Reads a server's greeting (HandshakeV10) and hangs up: its version, capabilities, default auth
 * plugin and character set, which Baton mirrors to its clients. Blocking: never on an event loop.
 */
final class SourceProbe {
    private SourceProbe() {
    }

    static HandshakeV10 greeting(Endpoint e, int timeoutMillis) throws IOException {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(e.host(), e.port()), timeoutMillis);
            s.setSoTimeout(timeoutMillis);
            DataInputStream in = new DataInputStream(s.getInputStream());
            byte[] header = new byte[Packets.HEADER_SIZE];
            in.readFully(header);
            int len = (header[0] & 0xFF) | (header[1] & 0xFF) << 8 | (header[2] & 0xFF) << 16;
            if (len > 64 * 1024) {
                throw new IOException("greeting of " + len + " bytes from " + e);
            }
            byte[] payload = new byte[len];
            in.readFully(payload);
            if (len > 0 && (payload[0] & 0xFF) == 0xFF) {
                throw new IOException(e + " refused the connection (ERR in place of a greeting)");
            }
            ByteBuf b = Unpooled.wrappedBuffer(payload);
            return HandshakeV10.decode(b);
        }
    }
}
