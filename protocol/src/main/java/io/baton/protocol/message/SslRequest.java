package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_LONG_PASSWORD;
import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static io.baton.protocol.Capabilities.CLIENT_SSL;

import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;

// Protocol::SSLRequest: client_flag<4>, max_packet_size<4>, character_set<1>, filler<23> (32 bytes) — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_ssl_request.html
/**
  * Sent by a client instead of the HandshakeResponse41 to switch to TLS; the real response follows
  * over TLS with the next sequence id. It is the first 32 bytes of a HandshakeResponse41, so a
  * 32-byte payload with CLIENT_SSL set is an SSLRequest ({@link #isSslRequest}): a full response
  * has at least the user name's NUL after them.
  *
  * @param capabilities client capability flags (CLIENT_SSL set)
  * @param maxPacketSize the client's max packet size (unsigned)
  * @param characterSet the client's collation id
  * @param mariaDbExtendedCapabilities MariaDB extension word (last 4 filler bytes), 0 if none
  */
public record SslRequest(int capabilities, long maxPacketSize, int characterSet,
        int mariaDbExtendedCapabilities) {

    public static final int LENGTH = 32;

    public SslRequest {
        if (maxPacketSize < 0 || maxPacketSize > 0xFFFFFFFFL || characterSet < 0 || characterSet > 0xFF) {
            throw new IllegalArgumentException("field out of range");
        }
    }

    /** True if the readable payload is an SSLRequest (32 bytes, CLIENT_SSL). Not consumed. */
    public static boolean isSslRequest(ByteBuf payload) {
        return payload.readableBytes() == LENGTH
                && (payload.getIntLE(payload.readerIndex()) & CLIENT_SSL) != 0;
    }

    public static SslRequest decode(ByteBuf payload) {
        if (payload.readableBytes() != LENGTH) {
            throw ProtocolException.malformed("SSLRequest of " + payload.readableBytes() + " bytes");
        }
        int caps = ProtocolIO.readInt4AsInt(payload);
        if ((caps & CLIENT_PROTOCOL_41) == 0 || (caps & CLIENT_SSL) == 0) {
            throw ProtocolException.malformed("SSLRequest without CLIENT_PROTOCOL_41 and CLIENT_SSL");
        }
        long max = ProtocolIO.readInt4(payload);
        int charset = ProtocolIO.readInt1(payload);
        ProtocolIO.skip(payload, 19);
        int ext = ProtocolIO.readInt4AsInt(payload);
        return new SslRequest(caps, max, charset, (caps & CLIENT_LONG_PASSWORD) == 0 ? ext : 0);
    }

    public void encode(ByteBuf out) {
        out.writeIntLE(capabilities);
        out.writeIntLE((int) maxPacketSize);
        out.writeByte(characterSet);
        out.writeZero(19);
        out.writeIntLE((capabilities & CLIENT_LONG_PASSWORD) == 0 ? mariaDbExtendedCapabilities : 0);
    }
}
