package io.baton.protocol.message;

import io.baton.protocol.Command;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import java.util.Arrays;

// COM_STMT_EXECUTE: 0x17, statement_id<4>, flags<1>, iteration_count<4>, [parameter_count<lenenc> if CLIENT_QUERY_ATTRIBUTES, null_bitmap, new_params_bind_flag<1>, types, values] — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_execute.html
/**
  * The header of a COM_STMT_EXECUTE: enough to route it (statement id, cursor flags). The parameter
  * block, whose layout depends on the statement's parameter count, is kept as opaque bytes. On the
  * hot path use {@link CommandPacket#statementId} and {@link CommandPacket#rewriteStatementId}
  * instead, which do not copy.
  */
public final class ComStmtExecute {

    public static final int CURSOR_TYPE_NO_CURSOR = 0;
    public static final int CURSOR_TYPE_READ_ONLY = 1;
    public static final int CURSOR_TYPE_FOR_UPDATE = 2;
    public static final int CURSOR_TYPE_SCROLLABLE = 4;
    /** With CLIENT_QUERY_ATTRIBUTES: a parameter_count field follows even for 0 parameters. */
    public static final int PARAMETER_COUNT_AVAILABLE = 8;
    /** Length of the fixed header, command byte included. */
    public static final int HEADER_LENGTH = 10;

    private final int statementId;
    private final int flags;
    private final long iterationCount;
    private final byte[] parameters;

    public ComStmtExecute(int statementId, int flags, long iterationCount, byte[] parameters) {
        if (flags < 0 || flags > 0xFF || iterationCount < 0 || iterationCount > 0xFFFFFFFFL) {
            throw new IllegalArgumentException("field out of range");
        }
        this.statementId = statementId;
        this.flags = flags;
        this.iterationCount = iterationCount;
        this.parameters = parameters.clone();
    }

    public static ComStmtExecute decode(ByteBuf payload) {
        int command = ProtocolIO.readInt1(payload);
        if (command != Command.COM_STMT_EXECUTE) {
            throw ProtocolException.malformed("not a COM_STMT_EXECUTE: 0x" + Integer.toHexString(command));
        }
        int id = ProtocolIO.readInt4AsInt(payload);
        int flags = ProtocolIO.readInt1(payload);
        long iterations = ProtocolIO.readInt4(payload);
        return new ComStmtExecute(id, flags, iterations, ProtocolIO.readRestBytes(payload));
    }

    public void encode(ByteBuf out) {
        out.writeByte(Command.COM_STMT_EXECUTE);
        out.writeIntLE(statementId);
        out.writeByte(flags);
        out.writeIntLE((int) iterationCount);
        out.writeBytes(parameters);
    }

    /** The statement id, unsigned 32 bits in an int. */
    public int statementId() {
        return statementId;
    }

    public int flags() {
        return flags;
    }

    /** True if the client asks for a cursor (rows then come with COM_STMT_FETCH). */
    public boolean requestsCursor() {
        return (flags & (CURSOR_TYPE_READ_ONLY | CURSOR_TYPE_FOR_UPDATE | CURSOR_TYPE_SCROLLABLE)) != 0;
    }

    /** Always 1 in practice. */
    public long iterationCount() {
        return iterationCount;
    }

    /** The bytes after the header: null bitmap, types and values (opaque). */
    public byte[] parameters() {
        return parameters.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ComStmtExecute e && statementId == e.statementId && flags == e.flags
                && iterationCount == e.iterationCount && Arrays.equals(parameters, e.parameters);
    }

    @Override
    public int hashCode() {
        return 31 * (31 * statementId + flags) + Arrays.hashCode(parameters);
    }

    @Override
    public String toString() {
        return "ComStmtExecute[id=" + Integer.toUnsignedString(statementId) + ", flags=" + flags
                + ", iterations=" + iterationCount + ", parameters=" + parameters.length + " bytes]";
    }
}
