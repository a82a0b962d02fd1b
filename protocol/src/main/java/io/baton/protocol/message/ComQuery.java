package io.baton.protocol.message;

import static io.baton.protocol.Capabilities.CLIENT_QUERY_ATTRIBUTES;

import io.baton.protocol.Command;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

// COM_QUERY: 0x03, [parameter_count<lenenc>, parameter_set_count<lenenc>, [null_bitmap, new_params_bind_flag<1>, (type<2>, name<lenenc>)*, values]] if CLIENT_QUERY_ATTRIBUTES, query<EOF> — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query.html
/**
  * A text-protocol query. With CLIENT_QUERY_ATTRIBUTES (MySQL 8.0.23+) the statement text is
  * preceded by query attributes in the binary-protocol value format; the decoder walks them to find
  * the text and keeps each value's raw bytes, so the proxy can inspect the SQL (light statement
  * inspection) without caring about attributes.
  */
public final class ComQuery {

    /**
      * One query attribute.
      *
      * @param name attribute name
      * @param type enum_field_types of the value
      * @param unsigned the unsigned flag (0x8000 of the type word)
      * @param value the value as the binary protocol encodes it (length prefix included for the
      *     variable-length types), or null for SQL NULL
      */
    public record QueryAttribute(String name, int type, boolean unsigned, byte[] value) {
        public QueryAttribute {
            Objects.requireNonNull(name, "name");
            if (type < 0 || type > 0xFF) {
                throw new IllegalArgumentException("type out of range: " + type);
            }
            value = value == null ? null : value.clone();
        }

        @Override
        public byte[] value() {
            return value == null ? null : value.clone();
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof QueryAttribute a && name.equals(a.name) && type == a.type
                    && unsigned == a.unsigned && Arrays.equals(value, a.value);
        }

        @Override
        public int hashCode() {
            return Objects.hash(name, type, unsigned, Arrays.hashCode(value));
        }

        @Override
        public String toString() {
            return "QueryAttribute[" + name + ", type=" + type + (unsigned ? " unsigned" : "")
                    + ", " + (value == null ? "NULL" : value.length + " bytes") + "]";
        }
    }

    private final String query;
    private final List<QueryAttribute> attributes;

    public ComQuery(String query, List<QueryAttribute> attributes) {
        this.query = Objects.requireNonNull(query, "query");
        this.attributes = List.copyOf(attributes);
    }

    public ComQuery(String query) {
        this(query, List.of());
    }

    /** Decodes with the statement text in UTF-8. */
    public static ComQuery decode(ByteBuf payload, int capabilities) {
        return decode(payload, capabilities, StandardCharsets.UTF_8);
    }

    /** Decodes with the statement text in {@code cs} (the connection's character_set_client). */
    public static ComQuery decode(ByteBuf payload, int capabilities, Charset cs) {
        int command = ProtocolIO.readInt1(payload);
        if (command != Command.COM_QUERY) {
            throw ProtocolException.malformed("not a COM_QUERY: 0x" + Integer.toHexString(command));
        }
        List<QueryAttribute> attrs = List.of();
        if ((capabilities & CLIENT_QUERY_ATTRIBUTES) != 0) {
            long count = ProtocolIO.readLenencInt(payload);
            long sets = ProtocolIO.readLenencInt(payload);
            if (sets != 1) {
                throw ProtocolException.malformed("COM_QUERY parameter_set_count " + Long.toUnsignedString(sets));
            }
            // Each attribute takes at least 3 bytes (type and name length): bound the count by the bytes.
            if (count < 0 || count > payload.readableBytes() / 3) {
                throw ProtocolException.malformed("COM_QUERY parameter_count " + Long.toUnsignedString(count));
            }
            if (count > 0) {
                attrs = decodeAttributes(payload, (int) count);
            }
        }
        return new ComQuery(ProtocolIO.readRestString(payload, cs), attrs);
    }

    private static List<QueryAttribute> decodeAttributes(ByteBuf payload, int count) {
        byte[] nulls = ProtocolIO.readBytes(payload, (count + 7) / 8);
        if (ProtocolIO.readInt1(payload) != 1) {
            throw ProtocolException.malformed("COM_QUERY attributes without types (new_params_bind_flag 0)");
        }
        int[] types = new int[count];
        String[] names = new String[count];
        for (int i = 0; i < count; i++) {
            types[i] = ProtocolIO.readInt2(payload);
            names[i] = ProtocolIO.readLenencString(payload);
        }
        List<QueryAttribute> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int type = types[i] & 0xFF;
            boolean unsigned = (types[i] & 0x8000) != 0;
            byte[] value = null;
            if ((nulls[i >> 3] & (1 << (i & 7))) == 0) {
                value = ProtocolIO.readBytes(payload, binaryValueLength(payload, type));
            }
            out.add(new QueryAttribute(names[i], type, unsigned, value));
        }
        return out;
    }

    /**
      * Length (prefix included) of the binary-protocol value of {@code type} at the reader index.
      * https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_binary_resultset.html
      */
    static int binaryValueLength(ByteBuf in, int type) {
        switch (type) {
            case 6: // NULL
                return 0;
            case 1: // TINY
                return 1;
            case 2: // SHORT
            case 13: // YEAR
                return 2;
            case 3: // LONG
            case 9: // INT24
            case 4: // FLOAT
                return 4;
            case 8: // LONGLONG
            case 5: // DOUBLE
                return 8;
            case 7: // TIMESTAMP
            case 10: // DATE
            case 11: // TIME
            case 12: // DATETIME
                ProtocolIO.require(in, 1);
                return 1 + in.getUnsignedByte(in.readerIndex());
            case 0: // DECIMAL
            case 15: // VARCHAR
            case 16: // BIT
            case 242: // VECTOR
            case 245: // JSON
            case 246: // NEWDECIMAL
            case 247: // ENUM
            case 248: // SET
            case 249: // TINY_BLOB
            case 250: // MEDIUM_BLOB
            case 251: // LONG_BLOB
            case 252: // BLOB
            case 253: // VAR_STRING
            case 254: // STRING
            case 255: { // GEOMETRY
                ProtocolIO.require(in, 1);
                int at = in.readerIndex();
                int size = ProtocolIO.lenencIntSizeOf(in.getUnsignedByte(at));
                if (size < 0) {
                    throw ProtocolException.malformed("bad length-encoded string in a binary value");
                }
                ProtocolIO.require(in, size);
                long len = ProtocolIO.getLenencInt(in, at);
                if (len < 0 || len > in.readableBytes() - size) {
                    throw ProtocolException.malformed("binary value longer than the packet");
                }
                return size + (int) len;
            }
            default:
                throw ProtocolException.malformed("unknown binary value type " + type);
        }
    }

    /** Encodes for a peer with the given capabilities (attributes need CLIENT_QUERY_ATTRIBUTES). */
    public void encode(ByteBuf out, int capabilities) {
        encode(out, capabilities, StandardCharsets.UTF_8);
    }

    public void encode(ByteBuf out, int capabilities, Charset cs) {
        out.writeByte(Command.COM_QUERY);
        if ((capabilities & CLIENT_QUERY_ATTRIBUTES) != 0) {
            int n = attributes.size();
            ProtocolIO.writeLenencInt(out, n);
            ProtocolIO.writeLenencInt(out, 1);
            if (n > 0) {
                byte[] nulls = new byte[(n + 7) / 8];
                for (int i = 0; i < n; i++) {
                    if (attributes.get(i).value == null) {
                        nulls[i >> 3] |= (byte) (1 << (i & 7));
                    }
                }
                out.writeBytes(nulls);
                out.writeByte(1);
                for (QueryAttribute a : attributes) {
                    out.writeShortLE(a.type | (a.unsigned ? 0x8000 : 0));
                    ProtocolIO.writeLenencString(out, a.name);
                }
                for (QueryAttribute a : attributes) {
                    if (a.value != null) {
                        out.writeBytes(a.value);
                    }
                }
            }
        } else if (!attributes.isEmpty()) {
            throw new IllegalArgumentException("query attributes need CLIENT_QUERY_ATTRIBUTES");
        }
        out.writeCharSequence(query, cs);
    }

    public String query() {
        return query;
    }

    public List<QueryAttribute> attributes() {
        return attributes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ComQuery q && query.equals(q.query) && attributes.equals(q.attributes);
    }

    @Override
    public int hashCode() {
        return 31 * query.hashCode() + attributes.hashCode();
    }

    @Override
    public String toString() {
        return "ComQuery[" + (query.length() > 200 ? query.substring(0, 200) + "..." : query)
                + (attributes.isEmpty() ? "" : ", attributes=" + attributes) + "]";
    }
}
