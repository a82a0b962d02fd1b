package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_LONG_PASSWORD;
import static io.baton.protocol.Capabilities.CLIENT_PLUGIN_AUTH;
import static io.baton.protocol.Capabilities.CLIENT_SECURE_CONNECTION;

import io.baton.protocol.MySqlError;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

// Protocol::HandshakeV10: 0x0a, server_version<NUL>, connection_id<4>, auth_plugin_data_part_1<8>, filler 0x00, capability_flags_1<2>, character_set<1>, status_flags<2>, capability_flags_2<2>, auth_plugin_data_len<1>, reserved<10>, auth_plugin_data_part_2<max(13, len-8)>, auth_plugin_name<NUL> — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_v10.html
/**
  * The server's greeting. The 20-byte scramble (nonce) is split 8 + 12, the second part followed
  * by a NUL; {@link #authPluginData()} is the whole scramble without that NUL. MariaDB servers
  * clear capability bit 0 (their CLIENT_MYSQL) and put their extended capabilities in the last four
  * reserved bytes.
  *
  * <p>A server that refuses the connection sends an ERR packet instead; {@link #decode} turns it
  * into a {@link ProtocolException} carrying the server's error.
  */
public final class HandshakeV10 {

    public static final int PROTOCOL_VERSION = 10;

    private final String serverVersion;
    private final long connectionId;
    private final byte[] authPluginData;
    private final int capabilities;
    private final int characterSet;
    private final int statusFlags;
    private final String authPluginName;
    private final int mariaDbExtendedCapabilities;

    /**
      * @param serverVersion e.g. {@code 8.0.31-baton}
      * @param connectionId the connection (thread) id, unsigned 32 bits
      * @param authPluginData the scramble, at least 8 bytes (20 for the MySQL plugins), no NUL
      * @param capabilities the server's capability flags
      * @param characterSet the server's default collation id (low byte)
      * @param statusFlags server status flags
      * @param authPluginName the default auth plugin, or null without CLIENT_PLUGIN_AUTH
      * @param mariaDbExtendedCapabilities MariaDB's extension word; must be 0 when capability bit 0
      *     is set
      */
    public HandshakeV10(String serverVersion, long connectionId, byte[] authPluginData,
            int capabilities, int characterSet, int statusFlags, String authPluginName,
            int mariaDbExtendedCapabilities) {
        this.serverVersion = Objects.requireNonNull(serverVersion, "serverVersion");
        if (connectionId < 0 || connectionId > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("connection id out of range: " + connectionId);
        }
        this.connectionId = connectionId;
        if (authPluginData.length < 8 || authPluginData.length > 254) {
            throw new IllegalArgumentException("auth plugin data must have 8..254 bytes");
        }
        this.authPluginData = authPluginData.clone();
        this.capabilities = capabilities;
        if (characterSet < 0 || characterSet > 0xFF || statusFlags < 0 || statusFlags > 0xFFFF) {
            throw new IllegalArgumentException("character set or status out of range");
        }
        this.characterSet = characterSet;
        this.statusFlags = statusFlags;
        if ((capabilities & CLIENT_PLUGIN_AUTH) != 0) {
            Objects.requireNonNull(authPluginName, "authPluginName with CLIENT_PLUGIN_AUTH");
        }
        this.authPluginName = authPluginName;
        if ((capabilities & CLIENT_LONG_PASSWORD) != 0 && mariaDbExtendedCapabilities != 0) {
            throw new IllegalArgumentException("MariaDB extended capabilities need capability bit 0 clear");
        }
        this.mariaDbExtendedCapabilities = mariaDbExtendedCapabilities;
    }

    /**
      * Decodes the greeting.
      *
      * @throws ProtocolException carrying the server's error if the payload is an ERR packet, or
      *     ER_MALFORMED_PACKET / ER_HANDSHAKE_ERROR if it is malformed or not protocol 10
      */
    public static HandshakeV10 decode(ByteBuf payload) {
        ProtocolIO.require(payload, 1);
        int protocol = payload.getUnsignedByte(payload.readerIndex());
        if (protocol == ErrPacket.HEADER) {
            ErrPacket err = ErrPacket.decode(payload);
            throw new ProtocolException(err.toError(), "Server refused the connection: " + err.toError());
        }
        payload.skipBytes(1);
        if (protocol != PROTOCOL_VERSION) {
            throw new ProtocolException(MySqlError.ER_HANDSHAKE_ERROR,
                    "Unsupported protocol version " + protocol);
        }
        String version = ProtocolIO.readNulString(payload, StandardCharsets.UTF_8);
        long connectionId = ProtocolIO.readInt4(payload);
        byte[] part1 = ProtocolIO.readBytes(payload, 8);
        ProtocolIO.skip(payload, 1);
        int caps = ProtocolIO.readInt2(payload);
        int charset = 0;
        int status = 0;
        int authDataLength = 0;
        int extended = 0;
        if (payload.isReadable()) {
            charset = ProtocolIO.readInt1(payload);
            status = ProtocolIO.readInt2(payload);
            caps |= ProtocolIO.readInt2(payload) << 16;
            authDataLength = ProtocolIO.readInt1(payload);
            ProtocolIO.skip(payload, 6);
            int reservedTail = ProtocolIO.readInt4AsInt(payload);
            if ((caps & CLIENT_LONG_PASSWORD) == 0) {
                extended = reservedTail;
            }
        }
        byte[] data = part1;
        if ((caps & CLIENT_SECURE_CONNECTION) != 0 && payload.isReadable()) {
            int part2Length = Math.max(13, authDataLength - 8);
            byte[] part2 = ProtocolIO.readBytes(payload, Math.min(part2Length, payload.readableBytes()));
            int keep;
            if (authDataLength > 8) {
                keep = Math.min(authDataLength - 1 - 8, part2.length);
            } else {
                keep = part2.length;
                while (keep > 0 && part2[keep - 1] == 0) {
                    keep--;
                }
            }
            data = Arrays.copyOf(part1, 8 + Math.max(keep, 0));
            System.arraycopy(part2, 0, data, 8, Math.max(keep, 0));
        }
        String plugin = null;
        if ((caps & CLIENT_PLUGIN_AUTH) != 0) {
            // Some 5.5 servers omit the terminating NUL: take the rest of the packet then.
            plugin = ProtocolIO.indexOfNul(payload) >= 0
                    ? ProtocolIO.readNulString(payload, StandardCharsets.UTF_8)
                    : ProtocolIO.readRestString(payload, StandardCharsets.UTF_8);
        }
        return new HandshakeV10(version, connectionId, data, caps, charset, status, plugin, extended);
    }

    public void encode(ByteBuf out) {
        out.writeByte(PROTOCOL_VERSION);
        ProtocolIO.writeNulString(out, serverVersion, StandardCharsets.UTF_8);
        out.writeIntLE((int) connectionId);
        out.writeBytes(authPluginData, 0, 8);
        out.writeByte(0);
        out.writeShortLE(capabilities);
        out.writeByte(characterSet);
        out.writeShortLE(statusFlags);
        out.writeShortLE(capabilities >>> 16);
        out.writeByte((capabilities & CLIENT_PLUGIN_AUTH) != 0 ? authPluginData.length + 1 : 0);
        out.writeZero(6);
        out.writeIntLE(mariaDbExtendedCapabilities);
        if ((capabilities & CLIENT_SECURE_CONNECTION) != 0) {
            int rest = authPluginData.length - 8;
            out.writeBytes(authPluginData, 8, rest);
            out.writeZero(Math.max(13 - rest, 1));
        }
        if ((capabilities & CLIENT_PLUGIN_AUTH) != 0) {
            ProtocolIO.writeNulString(out, authPluginName, StandardCharsets.UTF_8);
        }
    }

    public String serverVersion() {
        return serverVersion;
    }

    public long connectionId() {
        return connectionId;
    }

    /** The scramble (nonce) without the trailing NUL, usually 20 bytes. */
    public byte[] authPluginData() {
        return authPluginData.clone();
    }

    public int capabilities() {
        return capabilities;
    }

    public int characterSet() {
        return characterSet;
    }

    public int statusFlags() {
        return statusFlags;
    }

    /** The default auth plugin, or null without CLIENT_PLUGIN_AUTH. */
    public String authPluginName() {
        return authPluginName;
    }

    /** MariaDB's extended capabilities, 0 for MySQL servers. */
    public int mariaDbExtendedCapabilities() {
        return mariaDbExtendedCapabilities;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HandshakeV10 h
                && serverVersion.equals(h.serverVersion) && connectionId == h.connectionId
                && Arrays.equals(authPluginData, h.authPluginData) && capabilities == h.capabilities
                && characterSet == h.characterSet && statusFlags == h.statusFlags
                && Objects.equals(authPluginName, h.authPluginName)
                && mariaDbExtendedCapabilities == h.mariaDbExtendedCapabilities;
    }

    @Override
    public int hashCode() {
        return Objects.hash(serverVersion, connectionId, Arrays.hashCode(authPluginData), capabilities,
                characterSet, statusFlags, authPluginName, mariaDbExtendedCapabilities);
    }

    @Override
    public String toString() {
        return "HandshakeV10[version=" + serverVersion + ", connectionId=" + connectionId
                + ", capabilities=0x" + Integer.toHexString(capabilities) + ", charset=" + characterSet
                + ", status=0x" + Integer.toHexString(statusFlags) + ", plugin=" + authPluginName
                + ", scramble=" + authPluginData.length + " bytes"
                + (mariaDbExtendedCapabilities != 0 ? ", mariaDbExt=0x" + Integer.toHexString(mariaDbExtendedCapabilities) : "")
                + "]";
    }
}
