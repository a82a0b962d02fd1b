package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;

import io.baton.protocol.MySqlError;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

// ERR_Packet: 0xFF, error_code<2>, ['#', sql_state<5>] if CLIENT_PROTOCOL_41, error_message<EOF> — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_err_packet.html
/**
  * An ERR packet. Before the handshake (e.g. "Too many connections" sent instead of the
  * HandshakeV10) the server knows no client capabilities and omits the SQLSTATE; {@link
  * #decode(ByteBuf)} recognises both forms by the '#' marker. MariaDB's progress reports reuse this
  * layout with errno 0xFFFF ({@link #isProgressReport()}); they are not errors.
  *
  * @param errno the error number
  * @param sqlState the SQLSTATE, or null in the pre-4.1 form
  * @param message the message (UTF-8 on the wire)
  */
public record ErrPacket(int errno, String sqlState, String message) {

    public static final int HEADER = 0xFF;
    /** errno of a MariaDB progress report. */
    public static final int PROGRESS_REPORT_ERRNO = 0xFFFF;

    public ErrPacket {
        if (errno < 0 || errno > 0xFFFF) {
            throw new IllegalArgumentException("errno out of range: " + errno);
        }
        if (sqlState != null && sqlState.length() != 5) {
            throw new IllegalArgumentException("SQLSTATE must have 5 characters: " + sqlState);
        }
        Objects.requireNonNull(message, "message");
    }

    /** Decodes with the negotiated capabilities: SQLSTATE only with CLIENT_PROTOCOL_41. */
    public static ErrPacket decode(ByteBuf payload, int capabilities) {
        return decode(payload, (capabilities & CLIENT_PROTOCOL_41) != 0);
    }

    /** Decodes either form, taking a SQLSTATE when the '#' marker is there. */
    public static ErrPacket decode(ByteBuf payload) {
        return decode(payload, true);
    }

    private static ErrPacket decode(ByteBuf payload, boolean sqlStateAllowed) {
        int header = ProtocolIO.readInt1(payload);
        if (header != HEADER) {
            throw ProtocolException.malformed("not an ERR packet: header 0x" + Integer.toHexString(header));
        }
        int errno = ProtocolIO.readInt2(payload);
        String state = null;
        if (sqlStateAllowed && payload.readableBytes() >= 6
                && payload.getByte(payload.readerIndex()) == '#') {
            payload.skipBytes(1);
            state = ProtocolIO.readFixedString(payload, 5, StandardCharsets.US_ASCII);
        }
        String message = ProtocolIO.readRestString(payload, StandardCharsets.UTF_8);
        return new ErrPacket(errno, state, message);
    }

    /** Encodes for a peer with the given capabilities (0 before the handshake). */
    public void encode(ByteBuf out, int capabilities) {
        out.writeByte(HEADER);
        out.writeShortLE(errno);
        if ((capabilities & CLIENT_PROTOCOL_41) != 0 && sqlState != null) {
            out.writeByte('#');
            out.writeCharSequence(sqlState, StandardCharsets.US_ASCII);
        }
        out.writeCharSequence(message, StandardCharsets.UTF_8);
    }

    /** True for a MariaDB progress report (errno 0xFFFF), which does not end a command. */
    public boolean isProgressReport() {
        return errno == PROGRESS_REPORT_ERRNO;
    }

    /** The error, with SQLSTATE HY000 if the packet had none. */
    public MySqlError toError() {
        return new MySqlError(errno, sqlState == null ? MySqlError.sqlStateFor(errno) : sqlState, message);
    }
}
