package io.baton.protocol.message;

import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

// Protocol::AuthSwitchRequest: 0xFE, plugin_name<NUL>, plugin_provided_data<EOF> — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_auth_switch_request.html
/**
  * The server asks the client to authenticate with another plugin, with fresh plugin data. For
  * mysql_native_password and caching_sha2_password the data is the 20-byte scramble followed by a
  * NUL ({@link #scramble()} drops it). A payload of the single byte 0xFE is the pre-4.1
  * OldAuthSwitchRequest ({@link #isOldAuthSwitch()}), which asks for mysql_old_password.
  */
public final class AuthSwitchRequest {

    public static final int HEADER = 0xFE;
    /** The plugin an OldAuthSwitchRequest asks for. */
    public static final String OLD_PASSWORD_PLUGIN = "mysql_old_password";

    private final String pluginName;
    private final byte[] pluginData;
    private final boolean old;

    public AuthSwitchRequest(String pluginName, byte[] pluginData) {
        this(pluginName, pluginData, false);
    }

    private AuthSwitchRequest(String pluginName, byte[] pluginData, boolean old) {
        this.pluginName = Objects.requireNonNull(pluginName, "pluginName");
        this.pluginData = pluginData.clone();
        this.old = old;
    }

    /** A request to switch to {@code pluginName} with a scramble, sent as scramble + NUL. */
    public static AuthSwitchRequest withScramble(String pluginName, byte[] scramble) {
        byte[] data = Arrays.copyOf(scramble, scramble.length + 1);
        return new AuthSwitchRequest(pluginName, data);
    }

    public static AuthSwitchRequest decode(ByteBuf payload) {
        int header = ProtocolIO.readInt1(payload);
        if (header != HEADER) {
            throw ProtocolException.malformed("not an AuthSwitchRequest: header 0x" + Integer.toHexString(header));
        }
        if (!payload.isReadable()) {
            return new AuthSwitchRequest(OLD_PASSWORD_PLUGIN, new byte[0], true);
        }
        String plugin = ProtocolIO.indexOfNul(payload) >= 0
                ? ProtocolIO.readNulString(payload, StandardCharsets.UTF_8)
                : ProtocolIO.readRestString(payload, StandardCharsets.UTF_8);
        return new AuthSwitchRequest(plugin, ProtocolIO.readRestBytes(payload));
    }

    public void encode(ByteBuf out) {
        out.writeByte(HEADER);
        if (old) {
            return;
        }
        ProtocolIO.writeNulString(out, pluginName, StandardCharsets.UTF_8);
        out.writeBytes(pluginData);
    }

    public String pluginName() {
        return pluginName;
    }

    /** The plugin data as sent (for the MySQL plugins: scramble + NUL). */
    public byte[] pluginData() {
        return pluginData.clone();
    }

    /** The plugin data without one trailing NUL: the scramble. */
    public byte[] scramble() {
        int n = pluginData.length;
        return Arrays.copyOf(pluginData, n > 0 && pluginData[n - 1] == 0 ? n - 1 : n);
    }

    /** True for the pre-4.1 OldAuthSwitchRequest (a lone 0xFE). */
    public boolean isOldAuthSwitch() {
        return old;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthSwitchRequest a && pluginName.equals(a.pluginName)
                && Arrays.equals(pluginData, a.pluginData) && old == a.old;
    }

    @Override
    public int hashCode() {
        return 31 * pluginName.hashCode() + Arrays.hashCode(pluginData);
    }

    @Override
    public String toString() {
        return "AuthSwitchRequest[plugin=" + pluginName + ", data=" + pluginData.length + " bytes"
                + (old ? ", old" : "") + "]";
    }
}
