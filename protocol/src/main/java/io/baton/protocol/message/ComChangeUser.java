package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_CONNECT_ATTRS;
import static io.baton.protocol.Capabilities.CLIENT_PLUGIN_AUTH;
import static io.baton.protocol.Capabilities.CLIENT_SECURE_CONNECTION;

import io.baton.protocol.Collations;
import io.baton.protocol.Command;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

// COM_CHANGE_USER: 0x11, user<NUL>, auth_response (len<1>+data with CLIENT_SECURE_CONNECTION | NUL), database<NUL>, [character_set<2>, [auth_plugin_name<NUL>], [attrs<lenenc>]] — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_change_user.html
/**
  * Re-authenticates the connection as another user and resets the session. The server answers
  * with an authentication exchange (OK, ERR, AuthSwitchRequest, AuthMoreData). Text is decoded in
  * the character set of the collation the packet carries (UTF-8 if absent or unknown).
  */
public final class ComChangeUser {

    private final String user;
    private final byte[] authResponse;
    private final String database;
    private final int characterSet;
    private final String authPluginName;
    private final Map<String, String> connectAttributes;

    /**
      * @param characterSet collation id, 0 if the field is absent
      * @param authPluginName null if absent
      * @param connectAttributes null if absent
      */
    public ComChangeUser(String user, byte[] authResponse, String database, int characterSet,
            String authPluginName, Map<String, String> connectAttributes) {
        this.user = Objects.requireNonNull(user, "user");
        this.authResponse = authResponse.clone();
        this.database = Objects.requireNonNull(database, "database");
        if (characterSet < 0 || characterSet > 0xFFFF) {
            throw new IllegalArgumentException("character set out of range");
        }
        this.characterSet = characterSet;
        this.authPluginName = authPluginName;
        this.connectAttributes = connectAttributes == null
                ? null : Collections.unmodifiableMap(new LinkedHashMap<>(connectAttributes));
    }

    /** Decodes with the negotiated capabilities. */
    public static ComChangeUser decode(ByteBuf payload, int capabilities) {
        int command = ProtocolIO.readInt1(payload);
        if (command != Command.COM_CHANGE_USER) {
            throw ProtocolException.malformed("not a COM_CHANGE_USER: 0x" + Integer.toHexString(command));
        }
        byte[] user = ProtocolIO.readNulBytes(payload);
        byte[] auth;
        if ((capabilities & CLIENT_SECURE_CONNECTION) != 0) {
            auth = ProtocolIO.readBytes(payload, ProtocolIO.readInt1(payload));
        } else {
            auth = ProtocolIO.readNulBytes(payload);
        }
        byte[] db = ProtocolIO.readNulBytes(payload);
        int charset = 0;
        byte[] plugin = null;
        ByteBuf attrs = null;
        if (payload.isReadable()) {
            charset = ProtocolIO.readInt2(payload);
            if ((capabilities & CLIENT_PLUGIN_AUTH) != 0 && payload.isReadable()) {
                plugin = ProtocolIO.indexOfNul(payload) >= 0
                        ? ProtocolIO.readNulBytes(payload) : ProtocolIO.readRestBytes(payload);
            }
            if ((capabilities & CLIENT_CONNECT_ATTRS) != 0 && payload.isReadable()) {
                attrs = ProtocolIO.readLenencSlice(payload);
            }
        }
        Charset cs = charset == 0 ? StandardCharsets.UTF_8 : Collations.javaCharset(charset);
        return new ComChangeUser(new String(user, cs), auth, new String(db, cs), charset,
                plugin == null ? null : new String(plugin, cs),
                attrs == null ? null : HandshakeResponse41.decodeAttributes(attrs, cs));
    }

    public void encode(ByteBuf out, int capabilities) {
        Charset cs = characterSet == 0 ? StandardCharsets.UTF_8 : Collations.javaCharset(characterSet);
        out.writeByte(Command.COM_CHANGE_USER);
        ProtocolIO.writeNulString(out, user, cs);
        if ((capabilities & CLIENT_SECURE_CONNECTION) != 0) {
            if (authResponse.length > 0xFF) {
                throw new IllegalArgumentException("auth response longer than 255 bytes");
            }
            out.writeByte(authResponse.length);
            out.writeBytes(authResponse);
        } else {
            ProtocolIO.writeNulBytes(out, authResponse);
        }
        ProtocolIO.writeNulString(out, database, cs);
        boolean withPlugin = (capabilities & CLIENT_PLUGIN_AUTH) != 0 && authPluginName != null;
        boolean withAttrs = (capabilities & CLIENT_CONNECT_ATTRS) != 0 && connectAttributes != null;
        if (characterSet != 0 || withPlugin || withAttrs) {
            out.writeShortLE(characterSet);
            if ((capabilities & CLIENT_PLUGIN_AUTH) != 0 && (withPlugin || withAttrs)) {
                ProtocolIO.writeNulString(out, authPluginName == null ? "" : authPluginName, cs);
            }
            if (withAttrs) {
                HandshakeResponse41.encodeAttributes(out, connectAttributes, cs);
            }
        }
    }

    public String user() {
        return user;
    }

    public byte[] authResponse() {
        return authResponse.clone();
    }

    /** The schema to use, "" for none. */
    public String database() {
        return database;
    }

    /** Collation id, 0 if absent. */
    public int characterSet() {
        return characterSet;
    }

    public String authPluginName() {
        return authPluginName;
    }

    public Map<String, String> connectAttributes() {
        return connectAttributes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ComChangeUser c && user.equals(c.user)
                && Arrays.equals(authResponse, c.authResponse) && database.equals(c.database)
                && characterSet == c.characterSet && Objects.equals(authPluginName, c.authPluginName)
                && Objects.equals(connectAttributes, c.connectAttributes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(user, Arrays.hashCode(authResponse), database, characterSet, authPluginName);
    }

    /** Never shows the auth response. */
    @Override
    public String toString() {
        return "ComChangeUser[user=" + user + ", database=" + database + ", charset=" + characterSet
                + ", plugin=" + authPluginName + ", authResponse=<" + authResponse.length + " bytes>]";
    }
}
