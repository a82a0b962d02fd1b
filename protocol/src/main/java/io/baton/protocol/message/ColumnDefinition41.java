package io.baton.protocol.message;

import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

// ColumnDefinition41: catalog<lenenc>, schema<lenenc>, table<lenenc>, org_table<lenenc>, name<lenenc>, org_name<lenenc>, 0x0c<lenenc>, character_set<2>, column_length<4>, type<1>, flags<2>, decimals<1>, filler<2>, [default<lenenc>] (COM_FIELD_LIST) — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_com_query_response_text_resultset_column_definition.html
/**
  * A column definition (also used for the parameters of a prepared statement). The proxy forwards
  * these verbatim; this class exists for the proxy's own result sets and for tests.
  *
  * <p>The decoder honours the "length of fixed-length fields" value (0x0c today) and skips any
  * bytes beyond the ten it knows. Only responses to COM_FIELD_LIST carry a default value, which is
  * a {@code string<lenenc>} or the NULL marker 0xFB.
  */
public final class ColumnDefinition41 {

    private static final int FIXED_FIELDS_LENGTH = 0x0c;
    private static final int KNOWN_FIXED_BYTES = 10;

    private final String catalog;
    private final String schema;
    private final String table;
    private final String orgTable;
    private final String name;
    private final String orgName;
    private final int characterSet;
    private final long columnLength;
    private final int type;
    private final int flags;
    private final int decimals;
    private final boolean hasDefault;
    private final byte[] defaultValue;

    /** A column without default value (the result-set form). */
    public ColumnDefinition41(String schema, String table, String orgTable, String name,
            String orgName, int characterSet, long columnLength, int type, int flags, int decimals) {
        this("def", schema, table, orgTable, name, orgName, characterSet, columnLength, type, flags,
                decimals, false, null);
    }

    /**
      * @param hasDefault whether the COM_FIELD_LIST default field is present
      * @param defaultValue the default value, null for SQL NULL (ignored without hasDefault)
      */
    public ColumnDefinition41(String catalog, String schema, String table, String orgTable,
            String name, String orgName, int characterSet, long columnLength, int type, int flags,
            int decimals, boolean hasDefault, byte[] defaultValue) {
        this.catalog = Objects.requireNonNull(catalog, "catalog");
        this.schema = Objects.requireNonNull(schema, "schema");
        this.table = Objects.requireNonNull(table, "table");
        this.orgTable = Objects.requireNonNull(orgTable, "orgTable");
        this.name = Objects.requireNonNull(name, "name");
        this.orgName = Objects.requireNonNull(orgName, "orgName");
        if (characterSet < 0 || characterSet > 0xFFFF || columnLength < 0 || columnLength > 0xFFFFFFFFL
                || type < 0 || type > 0xFF || flags < 0 || flags > 0xFFFF || decimals < 0 || decimals > 0xFF) {
            throw new IllegalArgumentException("fixed field out of range");
        }
        this.characterSet = characterSet;
        this.columnLength = columnLength;
        this.type = type;
        this.flags = flags;
        this.decimals = decimals;
        this.hasDefault = hasDefault;
        this.defaultValue = hasDefault && defaultValue != null ? defaultValue.clone() : null;
    }

    /** Decodes with names in UTF-8 (character_set_results utf8mb4/utf8mb3). */
    public static ColumnDefinition41 decode(ByteBuf payload) {
        return decode(payload, StandardCharsets.UTF_8);
    }

    /** Decodes with names in {@code cs} (the connection's character_set_results). */
    public static ColumnDefinition41 decode(ByteBuf payload, Charset cs) {
        String catalog = ProtocolIO.readLenencString(payload, cs);
        String schema = ProtocolIO.readLenencString(payload, cs);
        String table = ProtocolIO.readLenencString(payload, cs);
        String orgTable = ProtocolIO.readLenencString(payload, cs);
        String name = ProtocolIO.readLenencString(payload, cs);
        String orgName = ProtocolIO.readLenencString(payload, cs);
        int fixed = ProtocolIO.readLenencLength(payload);
        if (fixed < KNOWN_FIXED_BYTES) {
            throw ProtocolException.malformed("column definition: fixed-length fields of " + fixed + " bytes");
        }
        int characterSet = payload.readUnsignedShortLE();
        long columnLength = payload.readUnsignedIntLE();
        int type = payload.readUnsignedByte();
        int flags = payload.readUnsignedShortLE();
        int decimals = payload.readUnsignedByte();
        payload.skipBytes(fixed - KNOWN_FIXED_BYTES);
        boolean hasDefault = payload.isReadable();
        byte[] defaultValue = null;
        if (hasDefault) {
            long len = ProtocolIO.readLenencIntOrNull(payload);
            if (len != ProtocolIO.NULL) {
                if (len < 0 || len > payload.readableBytes()) {
                    throw ProtocolException.malformed("column definition: default value longer than the packet");
                }
                defaultValue = ProtocolIO.readBytes(payload, (int) len);
            }
        }
        return new ColumnDefinition41(catalog, schema, table, orgTable, name, orgName, characterSet,
                columnLength, type, flags, decimals, hasDefault, defaultValue);
    }

    public void encode(ByteBuf out) {
        encode(out, StandardCharsets.UTF_8);
    }

    public void encode(ByteBuf out, Charset cs) {
        ProtocolIO.writeLenencString(out, catalog, cs);
        ProtocolIO.writeLenencString(out, schema, cs);
        ProtocolIO.writeLenencString(out, table, cs);
        ProtocolIO.writeLenencString(out, orgTable, cs);
        ProtocolIO.writeLenencString(out, name, cs);
        ProtocolIO.writeLenencString(out, orgName, cs);
        out.writeByte(FIXED_FIELDS_LENGTH);
        out.writeShortLE(characterSet);
        out.writeIntLE((int) columnLength);
        out.writeByte(type);
        out.writeShortLE(flags);
        out.writeByte(decimals);
        out.writeShortLE(0);
        if (hasDefault) {
            if (defaultValue == null) {
                ProtocolIO.writeNull(out);
            } else {
                ProtocolIO.writeLenencBytes(out, defaultValue);
            }
        }
    }

    public String catalog() {
        return catalog;
    }

    public String schema() {
        return schema;
    }

    public String table() {
        return table;
    }

    public String orgTable() {
        return orgTable;
    }

    public String name() {
        return name;
    }

    public String orgName() {
        return orgName;
    }

    /** Collation id of the column's values. */
    public int characterSet() {
        return characterSet;
    }

    public long columnLength() {
        return columnLength;
    }

    /** enum_field_types, e.g. 0xFD VAR_STRING. */
    public int type() {
        return type;
    }

    public int flags() {
        return flags;
    }

    public int decimals() {
        return decimals;
    }

    /** Whether the COM_FIELD_LIST default field is present. */
    public boolean hasDefault() {
        return hasDefault;
    }

    /** The default value, null if absent or SQL NULL. */
    public byte[] defaultValue() {
        return defaultValue == null ? null : defaultValue.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ColumnDefinition41 c
                && catalog.equals(c.catalog) && schema.equals(c.schema) && table.equals(c.table)
                && orgTable.equals(c.orgTable) && name.equals(c.name) && orgName.equals(c.orgName)
                && characterSet == c.characterSet && columnLength == c.columnLength && type == c.type
                && flags == c.flags && decimals == c.decimals && hasDefault == c.hasDefault
                && Arrays.equals(defaultValue, c.defaultValue);
    }

    @Override
    public int hashCode() {
        return Objects.hash(catalog, schema, table, orgTable, name, orgName, characterSet,
                columnLength, type, flags, decimals, hasDefault, Arrays.hashCode(defaultValue));
    }

    @Override
    public String toString() {
        return "ColumnDefinition41[" + schema + "." + table + "." + name + " (" + orgTable + "."
                + orgName + "), charset=" + characterSet + ", length=" + columnLength + ", type=" + type
                + ", flags=0x" + Integer.toHexString(flags) + ", decimals=" + decimals
                + (hasDefault ? ", default=" + (defaultValue == null ? "NULL" : defaultValue.length + " bytes") : "")
                + "]";
    }
}
