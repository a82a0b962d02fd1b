package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;

import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;

// EOF_Packet: 0xFE, [warnings<2>, status<2>] if CLIENT_PROTOCOL_41; payload length < 9 — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_eof_packet.html
/**
  * An EOF packet: the end of column definitions or rows when CLIENT_DEPRECATE_EOF is not
  * negotiated. Note the field order, warnings before status: the reverse of the OK packet. A packet
  * that starts with 0xFE is an EOF only if its payload is shorter than 9 bytes; longer ones are rows
  * whose first value is a lenenc string of 2^24 bytes or more.
  *
  * @param warnings warning count
  * @param statusFlags {@link io.baton.protocol.ServerStatus} flags
  */
public record EofPacket(int warnings, int statusFlags) {

    public static final int HEADER = 0xFE;
    /** An EOF packet's payload is shorter than this. */
    public static final int MAX_LENGTH_EXCLUSIVE = 9;

    public EofPacket {
        if (statusFlags < 0 || statusFlags > 0xFFFF || warnings < 0 || warnings > 0xFFFF) {
            throw new IllegalArgumentException("status or warnings out of range");
        }
    }

    /** True if a payload with this first byte and length is an EOF packet. */
    public static boolean isEof(int firstByte, int payloadLength) {
        return firstByte == HEADER && payloadLength < MAX_LENGTH_EXCLUSIVE;
    }

    public static EofPacket decode(ByteBuf payload, int capabilities) {
        if (payload.readableBytes() >= MAX_LENGTH_EXCLUSIVE) {
            throw ProtocolException.malformed("EOF packet of " + payload.readableBytes() + " bytes");
        }
        int header = ProtocolIO.readInt1(payload);
        if (header != HEADER) {
            throw ProtocolException.malformed("not an EOF packet: header 0x" + Integer.toHexString(header));
        }
        if ((capabilities & CLIENT_PROTOCOL_41) == 0) {
            return new EofPacket(0, 0);
        }
        int warnings = ProtocolIO.readInt2(payload);
        int status = ProtocolIO.readInt2(payload);
        return new EofPacket(warnings, status);
    }

    public void encode(ByteBuf out, int capabilities) {
        out.writeByte(HEADER);
        if ((capabilities & CLIENT_PROTOCOL_41) != 0) {
            out.writeShortLE(warnings);
            out.writeShortLE(statusFlags);
        }
    }
}
