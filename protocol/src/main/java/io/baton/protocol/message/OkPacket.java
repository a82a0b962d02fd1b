package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static io.baton.protocol.Capabilities.CLIENT_SESSION_TRACK;
import static io.baton.protocol.Capabilities.CLIENT_TRANSACTIONS;
import static io.baton.protocol.ServerStatus.SERVER_SESSION_STATE_CHANGED;

import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;

// OK_Packet: 0x00|0xFE, affected_rows<lenenc>, last_insert_id<lenenc>, status<2>, warnings<2>, info, [session_state_info] — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_ok_packet.html
/**
  * An OK packet: success of a command, or (header 0xFE, with CLIENT_DEPRECATE_EOF) the end of a
  * result set in place of the EOF packet.
  *
  * <p>Fields by capability: status and warnings with CLIENT_PROTOCOL_41 (status alone with
  * CLIENT_TRANSACTIONS). With CLIENT_SESSION_TRACK, info is a {@code string<lenenc>} present when
  * non-empty or when state changed, followed by the session state info when
  * SERVER_SESSION_STATE_CHANGED is set. Without it the manual says {@code string<EOF>}, but servers
  * (net_send_ok) write a {@code string<lenenc>} there too when the message is not empty; the decoder
  * takes the lenenc form when it spans the rest of the packet exactly and the EOF form otherwise.
  *
  * @param header {@link #HEADER} (0x00) or {@link #EOF_HEADER} (0xFE)
  * @param affectedRows affected rows (unsigned)
  * @param lastInsertId last insert id (unsigned)
  * @param statusFlags {@link io.baton.protocol.ServerStatus} flags
  * @param warnings warning count
  * @param info human-readable info, "" if none
  * @param sessionStateChanges decoded session state changes, empty if none
  */
public record OkPacket(
        int header,
        long affectedRows,
        long lastInsertId,
        int statusFlags,
        int warnings,
        String info,
        List<SessionStateChange> sessionStateChanges) {

    public static final int HEADER = 0x00;
    public static final int EOF_HEADER = 0xFE;

    public OkPacket {
        if (header != HEADER && header != EOF_HEADER) {
            throw new IllegalArgumentException("OK header must be 0x00 or 0xFE: " + header);
        }
        if (statusFlags < 0 || statusFlags > 0xFFFF || warnings < 0 || warnings > 0xFFFF) {
            throw new IllegalArgumentException("status or warnings out of range");
        }
        Objects.requireNonNull(info, "info");
        sessionStateChanges = List.copyOf(sessionStateChanges);
    }

    /** A plain OK with the given status flags. */
    public static OkPacket of(int statusFlags) {
        return new OkPacket(HEADER, 0, 0, statusFlags, 0, "", List.of());
    }

    /** True for the 0xFE form that ends a result set under CLIENT_DEPRECATE_EOF. */
    public boolean isEofForm() {
        return header == EOF_HEADER;
    }

    /**
      * Decodes the payload from its reader index.
      *
      * @param capabilities the negotiated capability flags
      */
    public static OkPacket decode(ByteBuf payload, int capabilities) {
        int header = ProtocolIO.readInt1(payload);
        if (header != HEADER && header != EOF_HEADER) {
            throw ProtocolException.malformed("not an OK packet: header 0x" + Integer.toHexString(header));
        }
        long affected = ProtocolIO.readLenencInt(payload);
        long lastId = ProtocolIO.readLenencInt(payload);
        int status = 0;
        int warnings = 0;
        if ((capabilities & CLIENT_PROTOCOL_41) != 0) {
            status = ProtocolIO.readInt2(payload);
            warnings = ProtocolIO.readInt2(payload);
        } else if ((capabilities & CLIENT_TRANSACTIONS) != 0) {
            status = ProtocolIO.readInt2(payload);
        }
        String info = "";
        List<SessionStateChange> changes = List.of();
        if ((capabilities & CLIENT_SESSION_TRACK) != 0) {
            if (payload.isReadable()) {
                info = ProtocolIO.readLenencString(payload);
            }
            if ((status & SERVER_SESSION_STATE_CHANGED) != 0 && payload.isReadable()) {
                changes = SessionStateChange.decodeAll(ProtocolIO.readLenencSlice(payload));
            }
        } else if (payload.isReadable()) {
            info = readInfoWithoutSessionTrack(payload);
        }
        return new OkPacket(header, affected, lastId, status, warnings, info, changes);
    }

    private static String readInfoWithoutSessionTrack(ByteBuf payload) {
        int start = payload.readerIndex();
        int first = payload.getUnsignedByte(start);
        int size = ProtocolIO.lenencIntSizeOf(first);
        if (size > 0 && size <= payload.readableBytes()) {
            long len = ProtocolIO.getLenencInt(payload, start);
            if (len == payload.readableBytes() - size) {
                payload.skipBytes(size);
                return ProtocolIO.readRestString(payload, StandardCharsets.UTF_8);
            }
        }
        return ProtocolIO.readRestString(payload, StandardCharsets.UTF_8);
    }

    /** Encodes the payload for a peer with the given negotiated capabilities. */
    public void encode(ByteBuf out, int capabilities) {
        out.writeByte(header);
        ProtocolIO.writeLenencInt(out, affectedRows);
        ProtocolIO.writeLenencInt(out, lastInsertId);
        if ((capabilities & CLIENT_PROTOCOL_41) != 0) {
            out.writeShortLE(statusFlags);
            out.writeShortLE(warnings);
        } else if ((capabilities & CLIENT_TRANSACTIONS) != 0) {
            out.writeShortLE(statusFlags);
        }
        boolean stateChanged = (statusFlags & SERVER_SESSION_STATE_CHANGED) != 0;
        if ((capabilities & CLIENT_SESSION_TRACK) != 0) {
            if (!info.isEmpty() || stateChanged) {
                ProtocolIO.writeLenencString(out, info);
            }
            if (stateChanged) {
                ByteBuf state = Unpooled.buffer();
                try {
                    SessionStateChange.encodeAll(sessionStateChanges, state);
                    ProtocolIO.writeLenencBytes(out, state);
                } finally {
                    state.release();
                }
            }
        } else if (!info.isEmpty()) {
            ProtocolIO.writeLenencString(out, info);
        }
    }

    /**
      * This OK without session state: no changes and SERVER_SESSION_STATE_CHANGED cleared. What a
      * client that did not negotiate CLIENT_SESSION_TRACK must receive.
      */
    public OkPacket withoutSessionState() {
        return new OkPacket(header, affectedRows, lastInsertId,
                statusFlags & ~SERVER_SESSION_STATE_CHANGED, warnings, info, List.of());
    }

    /**
      * Hot-path form of {@link #withoutSessionState()} on raw bytes: copies the OK payload readable
      * in {@code payload} (not consumed) to {@code out} up to the end of the info field, with
      * SERVER_SESSION_STATE_CHANGED cleared. A payload without session state is copied unchanged.
      * Nothing is decoded or allocated.
      *
      * @param serverCapabilities the capabilities the payload was encoded with (the backend's)
      * @throws ProtocolException if the payload is not a well-formed OK packet
      */
    public static void stripSessionState(ByteBuf payload, int serverCapabilities, ByteBuf out) {
        int start = payload.readerIndex();
        int end = payload.writerIndex();
        if (end - start < 1) {
            throw ProtocolException.malformed("empty OK packet");
        }
        int header = payload.getUnsignedByte(start);
        if (header != HEADER && header != EOF_HEADER) {
            throw ProtocolException.malformed("not an OK packet: header 0x" + Integer.toHexString(header));
        }
        int i = skipLenenc(payload, start + 1, end);
        i = skipLenenc(payload, i, end);
        if ((serverCapabilities & CLIENT_PROTOCOL_41) == 0 || (serverCapabilities & CLIENT_SESSION_TRACK) == 0) {
            out.writeBytes(payload, start, end - start);
            return;
        }
        if (end - i < 4) {
            throw ProtocolException.malformed("OK packet truncated before status flags");
        }
        int statusIndex = i;
        int status = payload.getUnsignedShortLE(statusIndex);
        i += 4;
        if ((status & SERVER_SESSION_STATE_CHANGED) == 0) {
            out.writeBytes(payload, start, end - start);
            return;
        }
        int infoEnd = i;
        if (i < end) {
            int size = ProtocolIO.lenencIntSizeOf(payload.getUnsignedByte(i));
            if (size < 0 || end - i < size) {
                throw ProtocolException.malformed("OK packet: bad info length");
            }
            long len = ProtocolIO.getLenencInt(payload, i);
            if (len < 0 || len > end - i - size) {
                throw ProtocolException.malformed("OK packet: info longer than the packet");
            }
            infoEnd = i + size + (int) len;
        }
        int outStart = out.writerIndex();
        out.writeBytes(payload, start, infoEnd - start);
        out.setShortLE(outStart + (statusIndex - start), status & ~SERVER_SESSION_STATE_CHANGED);
    }

    private static int skipLenenc(ByteBuf buf, int i, int end) {
        if (i >= end) {
            throw ProtocolException.malformed("OK packet truncated");
        }
        int size = ProtocolIO.lenencIntSizeOf(buf.getUnsignedByte(i));
        if (size < 0 || end - i < size) {
            throw ProtocolException.malformed("OK packet: bad length-encoded integer");
        }
        return i + size;
    }
}
