package io.baton.protocol.message;

import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;

// Protocol::AuthMoreData: 0x01, authentication_method_data<EOF> — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_packets_protocol_auth_more_data.html
/**
  * Extra data from the server's auth plugin. For caching_sha2_password it is one status byte —
  * {@link io.baton.protocol.auth.CachingSha2Password#FAST_AUTH_SUCCESS} (an OK follows) or
  * {@link io.baton.protocol.auth.CachingSha2Password#PERFORM_FULL_AUTHENTICATION} — or the PEM
  * public key the client asked for.
  */
public final class AuthMoreData {

    public static final int HEADER = 0x01;

    private final byte[] data;

    public AuthMoreData(byte[] data) {
        this.data = data.clone();
    }

    public static AuthMoreData decode(ByteBuf payload) {
        int header = ProtocolIO.readInt1(payload);
        if (header != HEADER) {
            throw ProtocolException.malformed("not an AuthMoreData: header 0x" + Integer.toHexString(header));
        }
        return new AuthMoreData(ProtocolIO.readRestBytes(payload));
    }

    public void encode(ByteBuf out) {
        out.writeByte(HEADER);
        out.writeBytes(data);
    }

    public byte[] data() {
        return data.clone();
    }

    /** True if the data is the single status byte {@code status}. */
    public boolean is(int status) {
        return data.length == 1 && (data[0] & 0xFF) == status;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof AuthMoreData a && Arrays.equals(data, a.data);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(data);
    }

    @Override
    public String toString() {
        return "AuthMoreData[" + data.length + " bytes]";
    }
}
