package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_OPTIONAL_RESULTSET_METADATA;

import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;

// Column count: column_count<lenenc>, [metadata_follows<1>] if CLIENT_OPTIONAL_RESULTSET_METADATA — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset.html
/**
  * The first packet of a result set. With CLIENT_OPTIONAL_RESULTSET_METADATA a second byte says
  * whether column definitions follow ({@link #METADATA_FULL}) or are skipped
  * ({@link #METADATA_NONE}, session variable resultset_metadata=NONE).
  *
  * @param count number of columns, at least 1
  * @param metadataFollows {@link #METADATA_FULL} or {@link #METADATA_NONE}; FULL when the
  *     capability is not negotiated
  */
public record ColumnCount(long count, int metadataFollows) {

    /** resultset_metadata=NONE: no column definitions are sent. */
    public static final int METADATA_NONE = 0;
    /** resultset_metadata=FULL: column definitions are sent (the default). */
    public static final int METADATA_FULL = 1;

    public ColumnCount {
        if (count < 1) {
            throw new IllegalArgumentException("column count must be positive: " + count);
        }
        if (metadataFollows != METADATA_NONE && metadataFollows != METADATA_FULL) {
            throw new IllegalArgumentException("metadataFollows must be 0 or 1: " + metadataFollows);
        }
    }

    public static ColumnCount decode(ByteBuf payload, int capabilities) {
        long count = ProtocolIO.readLenencInt(payload);
        if (count < 1) {
            throw ProtocolException.malformed("column count " + Long.toUnsignedString(count));
        }
        int metadata = METADATA_FULL;
        if ((capabilities & CLIENT_OPTIONAL_RESULTSET_METADATA) != 0) {
            metadata = ProtocolIO.readInt1(payload);
            if (metadata != METADATA_NONE && metadata != METADATA_FULL) {
                throw ProtocolException.malformed("metadata_follows " + metadata);
            }
        }
        return new ColumnCount(count, metadata);
    }

    public void encode(ByteBuf out, int capabilities) {
        ProtocolIO.writeLenencInt(out, count);
        if ((capabilities & CLIENT_OPTIONAL_RESULTSET_METADATA) != 0) {
            out.writeByte(metadataFollows);
        }
    }
}
