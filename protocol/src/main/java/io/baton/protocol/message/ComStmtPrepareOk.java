package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_OPTIONAL_RESULTSET_METADATA;

import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;

// COM_STMT_PREPARE_OK: 0x00, statement_id<4>, num_columns<2>, num_params<2>, filler<1>, warning_count<2>, [metadata_follows<1>] if CLIENT_OPTIONAL_RESULTSET_METADATA — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_stmt_prepare.html
/**
  * The first packet of a successful COM_STMT_PREPARE response. It is followed by num_params
  * parameter definitions, then num_columns column definitions, each block closed by an EOF
  * packet unless CLIENT_DEPRECATE_EOF.
  *
  * @param statementId the server's statement id (unsigned 32 bits)
  * @param columnCount columns of the statement's result set, 0 if none
  * @param paramCount number of '?' placeholders
  * @param warnings warning count
  * @param metadataFollows {@link ColumnCount#METADATA_FULL} or {@link ColumnCount#METADATA_NONE}
  */
public record ComStmtPrepareOk(
        int statementId, int columnCount, int paramCount, int warnings, int metadataFollows) {

    public static final int HEADER = 0x00;
    /** Payload length without metadata_follows. */
    public static final int LENGTH = 12;

    public ComStmtPrepareOk {
        if (columnCount < 0 || columnCount > 0xFFFF || paramCount < 0 || paramCount > 0xFFFF
                || warnings < 0 || warnings > 0xFFFF) {
            throw new IllegalArgumentException("count out of range");
        }
        if (metadataFollows != ColumnCount.METADATA_NONE && metadataFollows != ColumnCount.METADATA_FULL) {
            throw new IllegalArgumentException("metadataFollows must be 0 or 1: " + metadataFollows);
        }
    }

    public static ComStmtPrepareOk decode(ByteBuf payload, int capabilities) {
        int header = ProtocolIO.readInt1(payload);
        if (header != HEADER) {
            throw ProtocolException.malformed("not a COM_STMT_PREPARE_OK: header 0x" + Integer.toHexString(header));
        }
        int id = ProtocolIO.readInt4AsInt(payload);
        int columns = ProtocolIO.readInt2(payload);
        int params = ProtocolIO.readInt2(payload);
        ProtocolIO.skip(payload, 1);
        int warnings = ProtocolIO.readInt2(payload);
        int metadata = ColumnCount.METADATA_FULL;
        if ((capabilities & CLIENT_OPTIONAL_RESULTSET_METADATA) != 0 && payload.isReadable()) {
            metadata = ProtocolIO.readInt1(payload);
            if (metadata != ColumnCount.METADATA_NONE && metadata != ColumnCount.METADATA_FULL) {
                throw ProtocolException.malformed("metadata_follows " + metadata);
            }
        }
        return new ComStmtPrepareOk(id, columns, params, warnings, metadata);
    }

    public void encode(ByteBuf out, int capabilities) {
        out.writeByte(HEADER);
        out.writeIntLE(statementId);
        out.writeShortLE(columnCount);
        out.writeShortLE(paramCount);
        out.writeByte(0);
        out.writeShortLE(warnings);
        if ((capabilities & CLIENT_OPTIONAL_RESULTSET_METADATA) != 0) {
            out.writeByte(metadataFollows);
        }
    }
}
