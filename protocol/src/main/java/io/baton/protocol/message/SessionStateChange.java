package io.baton.protocol.message;

import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.baton.protocol.SessionTrackType;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

// Session state change: type<1>, data<lenenc> — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_ok_packet.html
/**
  * One entry of the session state information of an OK packet.
  *
  * <p>Session state info: a sequence of {type<1>, data string<lenenc>} —
  * https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_basic_ok_packet.html (Session
  * State Information). The data of each known type is decoded into a record; an entry of an
  * unknown type, or whose data does not parse as its type says, is kept verbatim as
  * {@link Unknown} so that nothing is lost and a server variant cannot break the session. Text is
  * UTF-8 (the server writes it in character_set_results, utf8mb4 in practice).
  */
public sealed interface SessionStateChange {

    /** The {@link SessionTrackType} of this entry. */
    int type();

    /** Writes the entry's data (without the type byte and the lenenc length). */
    void encodeData(ByteBuf out);

    /** A session system variable changed (type 0): name<lenenc>, value<lenenc>. */
    record SystemVariable(String name, String value) implements SessionStateChange {
        @Override
        public int type() {
            return SessionTrackType.SYSTEM_VARIABLES;
        }

        @Override
        public void encodeData(ByteBuf out) {
            ProtocolIO.writeLenencString(out, name);
            ProtocolIO.writeLenencString(out, value);
        }
    }

    /** The current schema changed (type 1): name<lenenc>. */
    record Schema(String name) implements SessionStateChange {
        @Override
        public int type() {
            return SessionTrackType.SCHEMA;
        }

        @Override
        public void encodeData(ByteBuf out) {
            ProtocolIO.writeLenencString(out, name);
        }
    }

    /**
     * Session state changed (type 2): the entry's data is the bare flag, "1" or "0" (on the wire {@code 02 01 31}: the
     * manual's is_tracked&lt;lenenc&gt; is the entry's own data field, with no length of its own inside it).
     */
    record StateChange(boolean tracked) implements SessionStateChange {
        @Override
        public int type() {
            return SessionTrackType.STATE_CHANGE;
        }

        @Override
        public void encodeData(ByteBuf out) {
            out.writeByte(tracked ? '1' : '0');
        }
    }

    /** GTIDs of the transaction just committed (type 3): encoding_spec<1>, gtids<lenenc>. */
    record Gtids(int encodingSpecification, String gtids) implements SessionStateChange {
        @Override
        public int type() {
            return SessionTrackType.GTIDS;
        }

        @Override
        public void encodeData(ByteBuf out) {
            out.writeByte(encodingSpecification);
            ProtocolIO.writeLenencString(out, gtids);
        }
    }

    /**
      * Transaction characteristics (type 4): the SQL that would restore them, e.g.
      * {@code SET TRANSACTION ISOLATION LEVEL SERIALIZABLE; START TRANSACTION READ ONLY;}, or empty.
      */
    record TransactionCharacteristics(String statements) implements SessionStateChange {
        @Override
        public int type() {
            return SessionTrackType.TRANSACTION_CHARACTERISTICS;
        }

        @Override
        public void encodeData(ByteBuf out) {
            ProtocolIO.writeLenencString(out, statements);
        }
    }

    /**
      * Transaction state (type 5): eight characters, each a fact or '_': [0] T explicit / I implicit
      * transaction, [1] r non-transactional read, [2] R transactional read, [3] w non-transactional
      * write, [4] W transactional write, [5] s unsafe statement, [6] S result set sent, [7] L LOCK
      * TABLES. https://dev.mysql.com/doc/refman/8.0/en/session-state-tracking.html
      */
    record TransactionState(String state) implements SessionStateChange {
        @Override
        public int type() {
            return SessionTrackType.TRANSACTION_STATE;
        }

        @Override
        public void encodeData(ByteBuf out) {
            ProtocolIO.writeLenencString(out, state);
        }

        /** A transaction is open (explicitly or implicitly started). */
        public boolean active() {
            return !state.isEmpty() && state.charAt(0) != '_';
        }

        /** LOCK TABLES is in effect. */
        public boolean lockTables() {
            return state.length() >= 8 && state.charAt(7) == 'L';
        }

        /** The transaction wrote to a non-transactional table (cannot be rolled back). */
        public boolean nonTransactionalWrite() {
            return state.length() >= 4 && state.charAt(3) == 'w';
        }
    }

    /** An entry kept verbatim: an unknown type, or data that did not parse. */
    final class Unknown implements SessionStateChange {
        private final int type;
        private final byte[] data;

        public Unknown(int type, byte[] data) {
            if (type < 0 || type > 0xFF) {
                throw new IllegalArgumentException("type out of range: " + type);
            }
            this.type = type;
            this.data = data.clone();
        }

        @Override
        public int type() {
            return type;
        }

        public byte[] data() {
            return data.clone();
        }

        @Override
        public void encodeData(ByteBuf out) {
            out.writeBytes(data);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Unknown u && u.type == type && Arrays.equals(u.data, data);
        }

        @Override
        public int hashCode() {
            return 31 * type + Arrays.hashCode(data);
        }

        @Override
        public String toString() {
            return "Unknown[type=" + type + ", data=" + data.length + " bytes]";
        }
    }

    /** Decodes the entries of a session state info field (its lenenc length already read). */
    static List<SessionStateChange> decodeAll(ByteBuf info) {
        List<SessionStateChange> out = new ArrayList<>();
        while (info.isReadable()) {
            int type = ProtocolIO.readInt1(info);
            ByteBuf data = ProtocolIO.readLenencSlice(info);
            out.add(decode(type, data));
        }
        return Collections.unmodifiableList(out);
    }

    /** Decodes one entry's data; never throws: unparsable data becomes {@link Unknown}. */
    static SessionStateChange decode(int type, ByteBuf data) {
        int start = data.readerIndex();
        try {
            SessionStateChange c = decodeKnown(type, data);
            if (c != null && !data.isReadable()) {
                return c;
            }
        } catch (ProtocolException e) {
            // Falls through: keep the entry verbatim.
        }
        data.readerIndex(start);
        return new Unknown(type, ProtocolIO.readRestBytes(data));
    }

    private static SessionStateChange decodeKnown(int type, ByteBuf data) {
        switch (type) {
            case SessionTrackType.SYSTEM_VARIABLES:
                return new SystemVariable(ProtocolIO.readLenencString(data), ProtocolIO.readLenencString(data));
            case SessionTrackType.SCHEMA:
                return new Schema(ProtocolIO.readLenencString(data));
            case SessionTrackType.STATE_CHANGE: {
                if (data.readableBytes() != 1) {
                    return null;
                }
                byte flag = data.readByte();
                return flag == '1' ? new StateChange(true) : flag == '0' ? new StateChange(false) : null;
            }
            case SessionTrackType.GTIDS:
                return new Gtids(ProtocolIO.readInt1(data), ProtocolIO.readLenencString(data));
            case SessionTrackType.TRANSACTION_CHARACTERISTICS:
                return new TransactionCharacteristics(ProtocolIO.readLenencString(data));
            case SessionTrackType.TRANSACTION_STATE:
                return new TransactionState(ProtocolIO.readLenencString(data));
            default:
                return null;
        }
    }

    /** Writes entries as {type<1>, data<lenenc>}... (without the field's outer length). */
    static void encodeAll(List<SessionStateChange> changes, ByteBuf out) {
        ByteBuf data = Unpooled.buffer();
        try {
            for (SessionStateChange c : changes) {
                data.clear();
                c.encodeData(data);
                out.writeByte(c.type());
                ProtocolIO.writeLenencBytes(out, data);
            }
        } finally {
            data.release();
        }
    }
}
