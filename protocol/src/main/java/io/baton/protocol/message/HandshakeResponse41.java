package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_CONNECT_ATTRS;
import static io.baton.protocol.Capabilities.CLIENT_CONNECT_WITH_DB;
import static io.baton.protocol.Capabilities.CLIENT_LONG_PASSWORD;
import static io.baton.protocol.Capabilities.CLIENT_PLUGIN_AUTH;
import static io.baton.protocol.Capabilities.CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA;
import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static io.baton.protocol.Capabilities.CLIENT_SECURE_CONNECTION;
import static io.baton.protocol.Capabilities.CLIENT_ZSTD_COMPRESSION_ALGORITHM;

import io.baton.protocol.Collations;
import io.baton.protocol.MySqlError;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.Charset;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

// Protocol::HandshakeResponse41: client_flag<4>, max_packet_size<4>, character_set<1>, filler<23>, username<NUL>, auth_response (lenenc | len<1>+data | NUL), [database<NUL>], [client_plugin_name<NUL>], [attrs_length<lenenc>, (key<lenenc>, value<lenenc>)*], [zstd_level<1>] — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_handshake_response.html
/**
  * The client's answer to the HandshakeV10. Which optional fields are present depends on the
  * client's own capability flags (first field), not on the negotiated set.
  *
  * <p>The auth response is a {@code string<lenenc>} with CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA, a
  * one-byte length and data with CLIENT_SECURE_CONNECTION, else NUL-terminated. Text fields are in
  * the client's character set, named by its collation id ({@link Collations#javaCharset}). Trailing
  * optional fields that are flagged but missing are tolerated (null), as the server does. MariaDB
  * clients put their extended capabilities in the last four filler bytes when bit 0 is clear.
  */
public final class HandshakeResponse41 {

    private final int capabilities;
    private final long maxPacketSize;
    private final int characterSet;
    private final int mariaDbExtendedCapabilities;
    private final String username;
    private final byte[] authResponse;
    private final String database;
    private final String authPluginName;
    private final Map<String, String> connectAttributes;
    private final int zstdCompressionLevel;

    /**
      * @param database the initial schema, or null (sent only with CLIENT_CONNECT_WITH_DB)
      * @param authPluginName the client's plugin, or null (sent only with CLIENT_PLUGIN_AUTH)
      * @param connectAttributes attributes in order, or null (sent only with CLIENT_CONNECT_ATTRS)
      * @param zstdCompressionLevel level sent with CLIENT_ZSTD_COMPRESSION_ALGORITHM, else ignored
      */
    public HandshakeResponse41(int capabilities, long maxPacketSize, int characterSet,
            int mariaDbExtendedCapabilities, String username, byte[] authResponse, String database,
            String authPluginName, Map<String, String> connectAttributes, int zstdCompressionLevel) {
        if ((capabilities & CLIENT_PROTOCOL_41) == 0) {
            throw new IllegalArgumentException("HandshakeResponse41 needs CLIENT_PROTOCOL_41");
        }
        if (maxPacketSize < 0 || maxPacketSize > 0xFFFFFFFFL || characterSet < 0 || characterSet > 0xFF
                || zstdCompressionLevel < 0 || zstdCompressionLevel > 0xFF) {
            throw new IllegalArgumentException("field out of range");
        }
        this.capabilities = capabilities;
        this.maxPacketSize = maxPacketSize;
        this.characterSet = characterSet;
        this.mariaDbExtendedCapabilities = (capabilities & CLIENT_LONG_PASSWORD) == 0 ? mariaDbExtendedCapabilities : 0;
        this.username = Objects.requireNonNull(username, "username");
        this.authResponse = authResponse.clone();
        this.database = database;
        this.authPluginName = authPluginName;
        this.connectAttributes = connectAttributes == null
                ? null : Collections.unmodifiableMap(new LinkedHashMap<>(connectAttributes));
        this.zstdCompressionLevel = zstdCompressionLevel;
    }

    public static HandshakeResponse41 decode(ByteBuf payload) {
        if (payload.readableBytes() < SslRequest.LENGTH) {
            throw new ProtocolException(MySqlError.ER_HANDSHAKE_ERROR,
                    "Handshake response of " + payload.readableBytes() + " bytes");
        }
        int caps = ProtocolIO.readInt4AsInt(payload);
        if ((caps & CLIENT_PROTOCOL_41) == 0) {
            throw new ProtocolException(MySqlError.ER_HANDSHAKE_ERROR,
                    "Pre-4.1 handshake response (HandshakeResponse320) is not supported");
        }
        long max = ProtocolIO.readInt4(payload);
        int charset = ProtocolIO.readInt1(payload);
        ProtocolIO.skip(payload, 19);
        int ext = ProtocolIO.readInt4AsInt(payload);
        Charset cs = Collations.javaCharset(charset);
        String user = ProtocolIO.readNulString(payload, cs);
        byte[] auth;
        if ((caps & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) != 0) {
            auth = ProtocolIO.readLenencBytes(payload);
        } else if ((caps & CLIENT_SECURE_CONNECTION) != 0) {
            auth = ProtocolIO.readBytes(payload, ProtocolIO.readInt1(payload));
        } else {
            auth = ProtocolIO.readNulBytes(payload);
        }
        String db = null;
        if ((caps & CLIENT_CONNECT_WITH_DB) != 0 && payload.isReadable()) {
            db = ProtocolIO.readNulString(payload, cs);
        }
        String plugin = null;
        if ((caps & CLIENT_PLUGIN_AUTH) != 0 && payload.isReadable()) {
            plugin = ProtocolIO.indexOfNul(payload) >= 0
                    ? ProtocolIO.readNulString(payload, cs)
                    : ProtocolIO.readRestString(payload, cs);
        }
        Map<String, String> attrs = null;
        if ((caps & CLIENT_CONNECT_ATTRS) != 0 && payload.isReadable()) {
            attrs = decodeAttributes(ProtocolIO.readLenencSlice(payload), cs);
        }
        int zstd = 0;
        if ((caps & CLIENT_ZSTD_COMPRESSION_ALGORITHM) != 0 && payload.isReadable()) {
            zstd = ProtocolIO.readInt1(payload);
        }
        return new HandshakeResponse41(caps, max, charset, ext, user, auth, db, plugin, attrs, zstd);
    }

    /** Decodes connection attributes: (key string<lenenc>, value string<lenenc>)*. */
    static Map<String, String> decodeAttributes(ByteBuf attrs, Charset cs) {
        Map<String, String> map = new LinkedHashMap<>();
        while (attrs.isReadable()) {
            String key = ProtocolIO.readLenencString(attrs, cs);
            String value = ProtocolIO.readLenencString(attrs, cs);
            map.put(key, value);
        }
        return map;
    }

    /** Encodes connection attributes with their total length. */
    static void encodeAttributes(ByteBuf out, Map<String, String> attrs, Charset cs) {
        ByteBuf body = Unpooled.buffer();
        try {
            for (Map.Entry<String, String> e : attrs.entrySet()) {
                ProtocolIO.writeLenencString(body, e.getKey(), cs);
                ProtocolIO.writeLenencString(body, e.getValue(), cs);
            }
            ProtocolIO.writeLenencBytes(out, body);
        } finally {
            body.release();
        }
    }

    public void encode(ByteBuf out) {
        Charset cs = Collations.javaCharset(characterSet);
        out.writeIntLE(capabilities);
        out.writeIntLE((int) maxPacketSize);
        out.writeByte(characterSet);
        out.writeZero(19);
        out.writeIntLE(mariaDbExtendedCapabilities);
        ProtocolIO.writeNulString(out, username, cs);
        if ((capabilities & CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA) != 0) {
            ProtocolIO.writeLenencBytes(out, authResponse);
        } else if ((capabilities & CLIENT_SECURE_CONNECTION) != 0) {
            if (authResponse.length > 0xFF) {
                throw new IllegalArgumentException("auth response longer than 255 bytes needs CLIENT_PLUGIN_AUTH_LENENC_CLIENT_DATA");
            }
            out.writeByte(authResponse.length);
            out.writeBytes(authResponse);
        } else {
            ProtocolIO.writeNulBytes(out, authResponse);
        }
        boolean withDb = (capabilities & CLIENT_CONNECT_WITH_DB) != 0;
        boolean withPlugin = (capabilities & CLIENT_PLUGIN_AUTH) != 0;
        boolean withAttrs = (capabilities & CLIENT_CONNECT_ATTRS) != 0;
        if (withDb) {
            ProtocolIO.writeNulString(out, database == null ? "" : database, cs);
        }
        if (withPlugin) {
            ProtocolIO.writeNulString(out, authPluginName == null ? "" : authPluginName, cs);
        }
        if (withAttrs) {
            encodeAttributes(out, connectAttributes == null ? Map.of() : connectAttributes, cs);
        }
        if ((capabilities & CLIENT_ZSTD_COMPRESSION_ALGORITHM) != 0) {
            out.writeByte(zstdCompressionLevel);
        }
    }

    /** The client's capability flags (not the negotiated set). */
    public int capabilities() {
        return capabilities;
    }

    public long maxPacketSize() {
        return maxPacketSize;
    }

    /** The client's collation id. */
    public int characterSet() {
        return characterSet;
    }

    public int mariaDbExtendedCapabilities() {
        return mariaDbExtendedCapabilities;
    }

    public String username() {
        return username;
    }

    /** The auth plugin's response to the scramble (a copy). */
    public byte[] authResponse() {
        return authResponse.clone();
    }

    /** The initial schema, or null. */
    public String database() {
        return database;
    }

    /** The client's auth plugin, or null. */
    public String authPluginName() {
        return authPluginName;
    }

    /** Connection attributes in order, or null if not sent. */
    public Map<String, String> connectAttributes() {
        return connectAttributes;
    }

    public int zstdCompressionLevel() {
        return zstdCompressionLevel;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof HandshakeResponse41 h
                && capabilities == h.capabilities && maxPacketSize == h.maxPacketSize
                && characterSet == h.characterSet
                && mariaDbExtendedCapabilities == h.mariaDbExtendedCapabilities
                && username.equals(h.username) && Arrays.equals(authResponse, h.authResponse)
                && Objects.equals(database, h.database) && Objects.equals(authPluginName, h.authPluginName)
                && Objects.equals(connectAttributes, h.connectAttributes)
                && zstdCompressionLevel == h.zstdCompressionLevel;
    }

    @Override
    public int hashCode() {
        return Objects.hash(capabilities, maxPacketSize, characterSet, username,
                Arrays.hashCode(authResponse), database, authPluginName, connectAttributes);
    }

    /** Never shows the auth response (it is the password itself for cleartext plugins). */
    @Override
    public String toString() {
        return "HandshakeResponse41[user=" + username + ", capabilities=0x" + Integer.toHexString(capabilities)
                + ", maxPacket=" + maxPacketSize + ", charset=" + characterSet + ", database=" + database
                + ", plugin=" + authPluginName + ", authResponse=<" + authResponse.length + " bytes>"
                + ", attrs=" + (connectAttributes == null ? "none" : connectAttributes.size()) + "]";
    }
}
