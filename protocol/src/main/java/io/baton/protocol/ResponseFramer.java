package io.baton.protocol;

import static io.baton.protocol.Capabilities.CLIENT_DEPRECATE_EOF;
import static io.baton.protocol.Capabilities.CLIENT_LOCAL_FILES;
import static io.baton.protocol.Capabilities.CLIENT_OPTIONAL_RESULTSET_METADATA;
import static io.baton.protocol.Capabilities.CLIENT_PROTOCOL_41;
import static io.baton.protocol.Capabilities.CLIENT_SESSION_TRACK;
import static io.baton.protocol.Capabilities.CLIENT_TRANSACTIONS;

import io.netty.buffer.ByteBuf;

/**
  * Follows the server's response to one command, packet by packet, far enough to tell where it
  * ends — without copying, allocating or decoding rows.
  *
  * <p>The proxy forwards server packets verbatim and feeds each frame to {@link #onPacket} (or
  * {@link #onFrame}). The framer looks at the frame's length, sequence id and at most the first
  * {@link #PEEK_LENGTH} bytes of its payload, and answers with a {@link Step}: {@code MORE},
  * {@code COMPLETE} (the response to the command is over), {@code LOCAL_INFILE} (the server asked
  * for a LOAD DATA LOCAL file: the client now sends file packets and an empty packet; the server
  * then answers OK or ERR, which are fed here as usual), or {@code AUTH_CONTINUE} (COM_CHANGE_USER:
  * the server sent AuthSwitchRequest, AuthMoreData or AuthNextFactor and the auth exchange goes on;
  * the final OK or ERR is fed here as usual). After each packet, {@link #packetKind()} says what it
  * was; after completion the accessors give the terminal status flags, the ERR's errno, the
  * prepare-OK's statement id and counts.
  *
  * <p>Grammar per command, with and without CLIENT_DEPRECATE_EOF (manual pages under
  * https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html):
  *
  * <ul>
  *   <li>COM_QUERY, COM_PROCESS_INFO: OK | ERR | 0xFB LOCAL INFILE, then OK | ERR | a text result
  *       set: column count [metadata flag], column definitions (none if the flag says so), EOF
  *       unless DEPRECATE_EOF, rows, then EOF or (DEPRECATE_EOF) an OK with header 0xFE; or ERR
  *       instead of any row. An OK or terminator with SERVER_MORE_RESULTS_EXISTS starts the next
  *       result (multi-statements, CALL); ERR ends everything.
  *   <li>COM_STMT_EXECUTE (and MariaDB COM_STMT_BULK_EXECUTE): as above with binary rows (header
  *       0x00), no LOCAL INFILE; if the packet after the column definitions (the EOF, or the 0xFE
  *       OK under DEPRECATE_EOF) has SERVER_STATUS_CURSOR_EXISTS the response ends there.
  *   <li>COM_STMT_FETCH: binary rows then EOF / 0xFE OK; or ERR.
  *   <li>COM_STMT_PREPARE: ERR | prepare-OK, num_params definitions [EOF], num_columns definitions
  *       [EOF]; a block with count 0 is absent, EOFs only without DEPRECATE_EOF.
  *   <li>COM_FIELD_LIST: column definitions then EOF / 0xFE OK; or ERR.
  *   <li>COM_STATISTICS: one packet of text.
  *   <li>COM_CHANGE_USER: OK | ERR | (AuthSwitchRequest 0xFE | AuthMoreData 0x01 |
  *       AuthNextFactor 0x02) → AUTH_CONTINUE, repeated until OK or ERR.
  *   <li>COM_QUIT, COM_STMT_CLOSE, COM_STMT_SEND_LONG_DATA: no response ({@link
  *       #expectsResponse()} is false right after {@link #begin}).
  *   <li>Everything else (COM_PING, COM_INIT_DB, COM_STMT_RESET, COM_RESET_CONNECTION,
  *       COM_SET_OPTION, COM_PROCESS_KILL, COM_REFRESH, unknown commands, ...): one OK | ERR | EOF
  *       packet.
  *   <li>COM_BINLOG_DUMP(_GTID), COM_TABLE_DUMP, COM_CLONE, COM_MULTI: streams that this framer
  *       does not follow; {@link #begin} throws with ER_NOT_SUPPORTED_YET.
  * </ul>
  *
  * <p>Telling terminators from rows: a packet starting with 0xFE is an EOF only if its payload is
  * shorter than 9 bytes; under DEPRECATE_EOF it is the closing OK if its payload is shorter than
  * 0xFFFFFF. Either way a text row whose first value is a lenenc string of 2^24+ bytes (lenenc
  * prefix 0xFE) is at least 0xFFFFFF long and so never mistaken; binary rows start with 0x00. A
  * frame that follows a frame of exactly 0xFFFFFF bytes is a continuation of the same logical
  * packet and is never interpreted; a response that ends with such a packet completes with its
  * last continuation frame. A MariaDB progress report (ERR with errno 0xFFFF) is not terminal.
  *
  * <p>Sequence ids: the first packet of a response may have any id (a client command split into
  * several frames moves it); each later packet must have the previous id + 1 mod 256, except the
  * packet after LOCAL_INFILE or AUTH_CONTINUE, since client packets took ids in between. A
  * violation throws {@link ProtocolException} with ER_NET_PACKETS_OUT_OF_ORDER; a packet the
  * grammar does not allow, or any packet after the response completed, throws with
  * ER_MALFORMED_PACKET. After an exception the framer must be {@link #begin begun} again (in
  * practice the proxy closes the backend connection).
  *
  * <p>Not thread-safe; one per backend connection, used on its event loop. No allocation after
  * construction.
  *
  * <pre>{@code
  * // client command forwarded:  framer.begin(CommandPacket.commandOf(payload), backendCapabilities);
  * // backend read, `in` = cumulation of server bytes:
  * int start = in.readerIndex(), pos = start, n;
  * while ((n = Packets.completeFrameLength(in, pos, Packets.MAX_PAYLOAD)) > 0) {
  *   Step step = framer.onFrame(in, pos);          // peeks, never copies
  *   pos += n;
  *   if (step == Step.COMPLETE) { session.responseDone(framer.statusFlags(), framer.isError()); }
  *   else if (step == Step.LOCAL_INFILE) { session.forwardClientPacketsUntilEmpty(); }
  * }
  * client.write(in.retainedSlice(start, pos - start));   // verbatim
  * in.readerIndex(pos);
  * }</pre>
  */
public final class ResponseFramer {

    /**
      * The framer reads at most this many bytes of a payload: enough for an OK packet's status and
      * warnings after two 9-byte lenenc integers (1 + 9 + 9 + 2 + 2).
      */
    public static final int PEEK_LENGTH = 23;

    private static final int MAX_PAYLOAD = Packets.MAX_PAYLOAD;
    private static final int OK = 0x00;
    private static final int LOCAL_INFILE = 0xFB;
    private static final int EOF = 0xFE;
    private static final int ERR = 0xFF;

    /** What the proxy should do after a packet. */
    public enum Step {
        /** More packets of this response follow. */
        MORE,
        /** This packet ends the response to the command. */
        COMPLETE,
        /**
          * The server requested a LOCAL INFILE: forward the client's file packets and the closing empty
          * packet to the server, then keep feeding server packets.
          */
        LOCAL_INFILE,
        /** COM_CHANGE_USER: the server continues the auth exchange; the client must answer. */
        AUTH_CONTINUE,
    }

    /** What the last packet was. */
    public enum PacketKind {
        /** Nothing fed yet. */
        NONE,
        /** OK packet, header 0x00. */
        OK,
        /** OK packet with header 0xFE ending a result set or status response under DEPRECATE_EOF. */
        OK_AS_EOF,
        /** Legacy EOF packet. */
        EOF,
        /** ERR packet. */
        ERR,
        /** MariaDB progress report (ERR layout, errno 0xFFFF); not terminal. */
        PROGRESS,
        /** Column count, first packet of a result set. */
        COLUMN_COUNT,
        /** Column (or parameter) definition. */
        COLUMN_DEFINITION,
        /** Row of a result set. */
        ROW,
        /** LOCAL INFILE request (0xFB + file name). */
        LOCAL_INFILE_REQUEST,
        /** COM_STMT_PREPARE_OK. */
        PREPARE_OK,
        /** AuthSwitchRequest (COM_CHANGE_USER). */
        AUTH_SWITCH_REQUEST,
        /** AuthMoreData (COM_CHANGE_USER). */
        AUTH_MORE_DATA,
        /** AuthNextFactor (COM_CHANGE_USER, multi-factor auth). */
        AUTH_NEXT_FACTOR,
        /** The text answer to COM_STATISTICS. */
        STATISTICS,
        /** A continuation frame of a packet of 0xFFFFFF+ bytes. */
        CONTINUATION,
    }

    private enum State {
        /** No response expected: before begin, after completion, or a command without response. */
        IDLE,
        /** First packet of a result: OK, ERR, LOCAL INFILE request or column count. */
        RESULT_FIRST,
        /** After a LOCAL INFILE request: OK or ERR. */
        INFILE_RESPONSE,
        COLUMN_DEFINITIONS,
        COLUMNS_EOF,
        ROWS,
        PREPARE_FIRST,
        PREPARE_DEFINITIONS,
        PREPARE_EOF,
        FIELD_LIST,
        STATUS,
        STATISTICS,
        AUTH,
    }

    // The command being followed.
    private int command = -1;
    private int capabilities;
    private boolean deprecateEof;
    private boolean binaryRows;
    private boolean expectsResponse;
    private State state = State.IDLE;

    // Progress.
    private long remainingDefinitions;
    private boolean metadataFull;
    private boolean pendingParamBlock;
    private boolean pendingColumnBlock;
    private int expectedSequenceId = -1;
    private boolean continuation;
    private Step stepAfterContinuation;

    // Results.
    private PacketKind packetKind = PacketKind.NONE;
    private boolean complete;
    private int statusFlags = -1;
    private int warnings;
    private int errorCode = -1;
    private boolean localInfileRequested;
    private boolean prepareOk;
    private int statementId;
    private int prepareParamCount;
    private int prepareColumnCount;
    private int resultCount;

    /**
      * Starts following the response to {@code command}.
      *
      * @param command the command byte the client sent
      * @param capabilities the capability flags negotiated on the backend connection
      * @throws ProtocolException with ER_NOT_SUPPORTED_YET for replication and clone streams
      */
    public void begin(int command, int capabilities) {
        this.command = command;
        this.capabilities = capabilities;
        this.deprecateEof = (capabilities & CLIENT_DEPRECATE_EOF) != 0;
        this.binaryRows = false;
        this.remainingDefinitions = 0;
        this.metadataFull = true;
        this.pendingParamBlock = false;
        this.pendingColumnBlock = false;
        this.expectedSequenceId = -1;
        this.continuation = false;
        this.stepAfterContinuation = null;
        this.packetKind = PacketKind.NONE;
        this.complete = false;
        this.statusFlags = -1;
        this.warnings = 0;
        this.errorCode = -1;
        this.localInfileRequested = false;
        this.prepareOk = false;
        this.statementId = 0;
        this.prepareParamCount = 0;
        this.prepareColumnCount = 0;
        this.resultCount = 0;
        this.expectsResponse = true;
        switch (command) {
            case Command.COM_QUIT:
            case Command.COM_STMT_CLOSE:
            case Command.COM_STMT_SEND_LONG_DATA:
                expectsResponse = false;
                complete = true;
                state = State.IDLE;
                break;
            case Command.COM_QUERY:
            case Command.COM_PROCESS_INFO:
                state = State.RESULT_FIRST;
                break;
            case Command.COM_STMT_EXECUTE:
            case Command.COM_STMT_BULK_EXECUTE:
                binaryRows = true;
                state = State.RESULT_FIRST;
                break;
            case Command.COM_STMT_FETCH:
                binaryRows = true;
                state = State.ROWS;
                break;
            case Command.COM_STMT_PREPARE:
                state = State.PREPARE_FIRST;
                break;
            case Command.COM_FIELD_LIST:
                state = State.FIELD_LIST;
                break;
            case Command.COM_STATISTICS:
                state = State.STATISTICS;
                break;
            case Command.COM_CHANGE_USER:
                state = State.AUTH;
                break;
            case Command.COM_BINLOG_DUMP:
            case Command.COM_BINLOG_DUMP_GTID:
            case Command.COM_TABLE_DUMP:
            case Command.COM_CLONE:
            case Command.COM_SUBSCRIBE_GROUP_REPLICATION_STREAM:
            case Command.COM_MULTI:
                state = State.IDLE;
                expectsResponse = false;
                complete = true;
                throw new ProtocolException(MySqlError.notSupportedYet(Command.name(command)),
                        "The response framer does not follow " + Command.name(command));
            default:
                state = State.STATUS;
                break;
        }
    }

    /**
      * Feeds the frame whose header starts at {@code frameIndex} in {@code buf}. The buffer must hold
      * the header and at least {@code min(payloadLength, PEEK_LENGTH)} payload bytes.
      */
    public Step onFrame(ByteBuf buf, int frameIndex) {
        if (buf.writerIndex() - frameIndex < Packets.HEADER_SIZE) {
            throw new IllegalArgumentException("frame header not in buffer");
        }
        return onPacket(buf, frameIndex + Packets.HEADER_SIZE,
                buf.getUnsignedMediumLE(frameIndex), buf.getUnsignedByte(frameIndex + 3));
    }

    /**
      * Feeds one frame: its payload starts at {@code payloadIndex} in {@code buf}, which must hold at
      * least {@code min(payloadLength, PEEK_LENGTH)} bytes of it (none for a continuation frame, which
      * is not looked at). Nothing is read beyond those bytes and no reader or writer index changes.
      *
      * @param payloadLength the length from the frame header
      * @param sequenceId the sequence id from the frame header
      * @throws ProtocolException if the packet breaks the command's response grammar or sequence
      */
    public Step onPacket(ByteBuf buf, int payloadIndex, int payloadLength, int sequenceId) {
        if (payloadLength < 0 || payloadLength > MAX_PAYLOAD) {
            throw new IllegalArgumentException("payload length out of range: " + payloadLength);
        }
        if (expectedSequenceId >= 0 && sequenceId != expectedSequenceId
                && (state != State.IDLE || continuation)) {
            throw ProtocolException.outOfOrder(expectedSequenceId, sequenceId);
        }
        if (continuation) {
            expectedSequenceId = (sequenceId + 1) & 0xFF;
            packetKind = PacketKind.CONTINUATION;
            if (payloadLength == MAX_PAYLOAD) {
                return Step.MORE;
            }
            continuation = false;
            Step step = stepAfterContinuation;
            stepAfterContinuation = null;
            if (step == Step.COMPLETE) {
                complete = true;
            } else if (step == Step.LOCAL_INFILE || step == Step.AUTH_CONTINUE) {
                expectedSequenceId = -1;
            }
            return step;
        }
        if (state == State.IDLE) {
            throw ProtocolException.malformed(
                    "unexpected packet: no response pending for " + Command.name(command));
        }
        if (buf.writerIndex() - payloadIndex < Math.min(payloadLength, PEEK_LENGTH)) {
            throw new IllegalArgumentException("the buffer must hold min(payloadLength, PEEK_LENGTH) payload bytes");
        }
        expectedSequenceId = (sequenceId + 1) & 0xFF;
        Step step = dispatch(buf, payloadIndex, payloadLength);
        if (payloadLength == MAX_PAYLOAD) {
            // The step takes effect after the last continuation frame.
            continuation = true;
            stepAfterContinuation = step;
            return Step.MORE;
        }
        if (step == Step.COMPLETE) {
            complete = true;
        } else if (step == Step.LOCAL_INFILE || step == Step.AUTH_CONTINUE) {
            expectedSequenceId = -1;
        }
        return step;
    }

    private Step dispatch(ByteBuf buf, int p, int len) {
        switch (state) {
            case RESULT_FIRST:
                return resultFirst(buf, p, len);
            case INFILE_RESPONSE:
                return infileResponse(buf, p, len);
            case COLUMN_DEFINITIONS:
                return columnDefinition(buf, p, len);
            case COLUMNS_EOF:
                return columnsEof(buf, p, len);
            case ROWS:
                return row(buf, p, len);
            case PREPARE_FIRST:
                return prepareFirst(buf, p, len);
            case PREPARE_DEFINITIONS:
                return prepareDefinition(buf, p, len);
            case PREPARE_EOF:
                return prepareEof(buf, p, len);
            case FIELD_LIST:
                return fieldList(buf, p, len);
            case STATUS:
                return status(buf, p, len);
            case STATISTICS:
                return statistics(buf, p, len);
            case AUTH:
                return auth(buf, p, len);
            default:
                throw new IllegalStateException(state.name());
        }
    }

    // ---------------------------------------------------------------- grammar

    private Step resultFirst(ByteBuf buf, int p, int len) {
        int first = firstByte(buf, p, len);
        switch (first) {
            case OK:
                readOk(buf, p, len);
                packetKind = PacketKind.OK;
                resultCount++;
                return afterResult();
            case ERR:
                return err(buf, p, len);
            case LOCAL_INFILE:
                if (binaryRows || (capabilities & CLIENT_LOCAL_FILES) == 0) {
                    throw ProtocolException.malformed("LOCAL INFILE request without CLIENT_LOCAL_FILES or for "
                            + Command.name(command));
                }
                packetKind = PacketKind.LOCAL_INFILE_REQUEST;
                localInfileRequested = true;
                state = State.INFILE_RESPONSE;
                return Step.LOCAL_INFILE;
            case EOF:
                throw ProtocolException.malformed("0xFE packet where a result was expected");
            default:
                return columnCount(buf, p, len);
        }
    }

    private Step columnCount(ByteBuf buf, int p, int len) {
        int size = ProtocolIO.lenencIntSizeOf(buf.getUnsignedByte(p));
        boolean optional = (capabilities & CLIENT_OPTIONAL_RESULTSET_METADATA) != 0;
        if (size < 0 || len != size + (optional ? 1 : 0)) {
            throw ProtocolException.malformed("column count packet of " + len + " bytes");
        }
        long count = ProtocolIO.getLenencInt(buf, p);
        if (count <= 0) {
            throw ProtocolException.malformed("column count " + Long.toUnsignedString(count));
        }
        if (optional) {
            int flag = buf.getUnsignedByte(p + size);
            if (flag > 1) {
                throw ProtocolException.malformed("metadata_follows " + flag);
            }
            metadataFull = flag == 1;
        } else {
            metadataFull = true;
        }
        packetKind = PacketKind.COLUMN_COUNT;
        resultCount++;
        remainingDefinitions = metadataFull ? count : 0;
        state = remainingDefinitions > 0 ? State.COLUMN_DEFINITIONS
                : deprecateEof ? State.ROWS : State.COLUMNS_EOF;
        return Step.MORE;
    }

    private Step columnDefinition(ByteBuf buf, int p, int len) {
        int first = firstByte(buf, p, len);
        if (first == ERR) {
            return err(buf, p, len);
        }
        if (first == EOF) {
            throw ProtocolException.malformed(
                    "0xFE packet with " + remainingDefinitions + " column definitions outstanding");
        }
        packetKind = PacketKind.COLUMN_DEFINITION;
        if (--remainingDefinitions == 0) {
            state = deprecateEof ? State.ROWS : State.COLUMNS_EOF;
        }
        return Step.MORE;
    }

    private Step columnsEof(ByteBuf buf, int p, int len) {
        int first = firstByte(buf, p, len);
        if (first == ERR) {
            return err(buf, p, len);
        }
        if (first != EOF || len >= 9) {
            throw ProtocolException.malformed("expected EOF after column definitions");
        }
        readEof(buf, p, len);
        packetKind = PacketKind.EOF;
        if (command == Command.COM_STMT_EXECUTE && cursorOpened()) {
            state = State.IDLE;
            return Step.COMPLETE;
        }
        state = State.ROWS;
        return Step.MORE;
    }

    private Step row(ByteBuf buf, int p, int len) {
        int first = firstByte(buf, p, len);
        if (first == EOF) {
            if (isTerminator(len)) {
                readTerminator(buf, p, len);
                if (command == Command.COM_STMT_FETCH) {
                    state = State.IDLE;
                    return Step.COMPLETE;
                }
                return afterResult();
            }
            if (binaryRows || len < MAX_PAYLOAD) {
                throw ProtocolException.malformed("0xFE packet of " + len + " bytes among rows");
            }
        } else if (first == ERR) {
            return err(buf, p, len);
        } else if (binaryRows && first != OK) {
            throw ProtocolException.malformed("binary row with header 0x" + Integer.toHexString(first));
        }
        packetKind = PacketKind.ROW;
        return Step.MORE;
    }

    private Step infileResponse(ByteBuf buf, int p, int len) {
        int first = firstByte(buf, p, len);
        if (first == OK) {
            readOk(buf, p, len);
            packetKind = PacketKind.OK;
            return afterResult();
        }
        if (first == ERR) {
            return err(buf, p, len);
        }
        throw ProtocolException.malformed("expected OK or ERR after LOCAL INFILE data");
    }

    /** After the status packet ending one result: the next result, or the end. */
    private Step afterResult() {
        if (statusFlags >= 0 && (statusFlags & ServerStatus.SERVER_MORE_RESULTS_EXISTS) != 0) {
            state = State.RESULT_FIRST;
            return Step.MORE;
        }
        state = State.IDLE;
        return Step.COMPLETE;
    }

    private Step prepareFirst(ByteBuf buf, int p, int len) {
        int first = firstByte(buf, p, len);
        if (first == ERR) {
            return err(buf, p, len);
        }
        if (first != OK || len < 12) {
            throw ProtocolException.malformed("expected COM_STMT_PREPARE_OK or ERR");
        }
        statementId = buf.getIntLE(p + 1);
        prepareColumnCount = buf.getUnsignedShortLE(p + 5);
        prepareParamCount = buf.getUnsignedShortLE(p + 7);
        warnings = buf.getUnsignedShortLE(p + 10);
        metadataFull = true;
        if ((capabilities & CLIENT_OPTIONAL_RESULTSET_METADATA) != 0 && len > 12) {
            int flag = buf.getUnsignedByte(p + 12);
            if (flag > 1) {
                throw ProtocolException.malformed("metadata_follows " + flag);
            }
            metadataFull = flag == 1;
        }
        prepareOk = true;
        packetKind = PacketKind.PREPARE_OK;
        pendingParamBlock = prepareParamCount > 0;
        pendingColumnBlock = prepareColumnCount > 0;
        return nextPrepareBlock();
    }

    private Step nextPrepareBlock() {
        int count;
        if (pendingParamBlock) {
            pendingParamBlock = false;
            count = prepareParamCount;
        } else if (pendingColumnBlock) {
            pendingColumnBlock = false;
            count = prepareColumnCount;
        } else {
            state = State.IDLE;
            return Step.COMPLETE;
        }
        remainingDefinitions = metadataFull ? count : 0;
        if (remainingDefinitions > 0) {
            state = State.PREPARE_DEFINITIONS;
            return Step.MORE;
        }
        if (!deprecateEof) {
            state = State.PREPARE_EOF;
            return Step.MORE;
        }
        return nextPrepareBlock();
    }

    private Step prepareDefinition(ByteBuf buf, int p, int len) {
        int first = firstByte(buf, p, len);
        if (first == EOF || first == ERR) {
            throw ProtocolException.malformed(
                    "0x" + Integer.toHexString(first) + " packet with " + remainingDefinitions
                            + " definitions outstanding");
        }
        packetKind = PacketKind.COLUMN_DEFINITION;
        if (--remainingDefinitions > 0) {
            return Step.MORE;
        }
        if (!deprecateEof) {
            state = State.PREPARE_EOF;
            return Step.MORE;
        }
        return nextPrepareBlock();
    }

    private Step prepareEof(ByteBuf buf, int p, int len) {
        int first = firstByte(buf, p, len);
        if (first != EOF || len >= 9) {
            throw ProtocolException.malformed("expected EOF after prepared statement definitions");
        }
        readEof(buf, p, len);
        packetKind = PacketKind.EOF;
        return nextPrepareBlock();
    }

    private Step fieldList(ByteBuf buf, int p, int len) {
        int first = firstByte(buf, p, len);
        if (first == ERR) {
            return err(buf, p, len);
        }
        if (first == EOF) {
            if (!isTerminator(len)) {
                throw ProtocolException.malformed("0xFE packet of " + len + " bytes in a field list");
            }
            readTerminator(buf, p, len);
            state = State.IDLE;
            return Step.COMPLETE;
        }
        packetKind = PacketKind.COLUMN_DEFINITION;
        return Step.MORE;
    }

    private Step status(ByteBuf buf, int p, int len) {
        int first = firstByte(buf, p, len);
        switch (first) {
            case OK:
                readOk(buf, p, len);
                packetKind = PacketKind.OK;
                break;
            case ERR:
                return err(buf, p, len);
            case EOF:
                if (!isTerminator(len)) {
                    throw ProtocolException.malformed("0xFE packet of " + len + " bytes");
                }
                readTerminator(buf, p, len);
                break;
            default:
                throw ProtocolException.malformed("expected OK, EOF or ERR for " + Command.name(command)
                        + ", got header 0x" + Integer.toHexString(first));
        }
        state = State.IDLE;
        return Step.COMPLETE;
    }

    private Step statistics(ByteBuf buf, int p, int len) {
        if (len >= 3 && buf.getUnsignedByte(p) == ERR) {
            return err(buf, p, len);
        }
        packetKind = PacketKind.STATISTICS;
        state = State.IDLE;
        return Step.COMPLETE;
    }

    private Step auth(ByteBuf buf, int p, int len) {
        int first = firstByte(buf, p, len);
        switch (first) {
            case OK:
                readOk(buf, p, len);
                packetKind = PacketKind.OK;
                state = State.IDLE;
                return Step.COMPLETE;
            case ERR:
                return err(buf, p, len);
            case 0xFE:
                packetKind = PacketKind.AUTH_SWITCH_REQUEST;
                return Step.AUTH_CONTINUE;
            case 0x01:
                packetKind = PacketKind.AUTH_MORE_DATA;
                return Step.AUTH_CONTINUE;
            case 0x02:
                packetKind = PacketKind.AUTH_NEXT_FACTOR;
                return Step.AUTH_CONTINUE;
            default:
                throw ProtocolException.malformed(
                        "unexpected header 0x" + Integer.toHexString(first) + " in COM_CHANGE_USER exchange");
        }
    }

    // ---------------------------------------------------------------- packet readers

    private static int firstByte(ByteBuf buf, int p, int len) {
        if (len == 0) {
            throw ProtocolException.malformed("empty packet");
        }
        return buf.getUnsignedByte(p);
    }

    /** True if a 0xFE packet of this length ends rows (or a status response). */
    private boolean isTerminator(int len) {
        return deprecateEof ? len < MAX_PAYLOAD : len < 9;
    }

    /**
      * Reads a 0xFE terminator: the OK form under DEPRECATE_EOF (a 5-byte legacy EOF is tolerated
      * there, as no OK with CLIENT_PROTOCOL_41 is that short), the EOF form otherwise.
      */
    private void readTerminator(ByteBuf buf, int p, int len) {
        if (deprecateEof && !(len == 5 && (capabilities & CLIENT_PROTOCOL_41) != 0)) {
            readOk(buf, p, len);
            packetKind = PacketKind.OK_AS_EOF;
        } else {
            readEof(buf, p, len);
            packetKind = PacketKind.EOF;
        }
    }

    private Step err(ByteBuf buf, int p, int len) {
        if (len < 3) {
            throw ProtocolException.malformed("ERR packet of " + len + " bytes");
        }
        int errno = buf.getUnsignedShortLE(p + 1);
        if (errno == 0xFFFF) {
            packetKind = PacketKind.PROGRESS;
            return Step.MORE;
        }
        errorCode = errno;
        statusFlags = -1;
        packetKind = PacketKind.ERR;
        state = State.IDLE;
        return Step.COMPLETE;
    }

    private void readOk(ByteBuf buf, int p, int len) {
        int i = 1;
        for (int n = 0; n < 2; n++) {
            if (i >= len) {
                throw ProtocolException.malformed("OK packet truncated");
            }
            int size = ProtocolIO.lenencIntSizeOf(buf.getUnsignedByte(p + i));
            if (size < 0) {
                throw ProtocolException.malformed("OK packet: bad length-encoded integer");
            }
            i += size;
        }
        if ((capabilities & CLIENT_PROTOCOL_41) != 0) {
            if (len < i + 4) {
                throw ProtocolException.malformed("OK packet truncated before status");
            }
            statusFlags = buf.getUnsignedShortLE(p + i);
            warnings = buf.getUnsignedShortLE(p + i + 2);
        } else if ((capabilities & CLIENT_TRANSACTIONS) != 0) {
            if (len < i + 2) {
                throw ProtocolException.malformed("OK packet truncated before status");
            }
            statusFlags = buf.getUnsignedShortLE(p + i);
            warnings = 0;
        } else {
            statusFlags = -1;
            warnings = 0;
        }
    }

    private void readEof(ByteBuf buf, int p, int len) {
        if ((capabilities & CLIENT_PROTOCOL_41) != 0) {
            if (len < 5) {
                throw ProtocolException.malformed("EOF packet of " + len + " bytes");
            }
            warnings = buf.getUnsignedShortLE(p + 1);
            statusFlags = buf.getUnsignedShortLE(p + 3);
        } else {
            statusFlags = -1;
            warnings = 0;
        }
    }

    private boolean cursorOpened() {
        return statusFlags >= 0 && (statusFlags & ServerStatus.SERVER_STATUS_CURSOR_EXISTS) != 0;
    }

    // ---------------------------------------------------------------- results

    /** The command being followed, -1 before the first {@link #begin}. */
    public int command() {
        return command;
    }

    /** False if the current command gets no response at all (COM_QUIT, STMT_CLOSE, SEND_LONG_DATA). */
    public boolean expectsResponse() {
        return expectsResponse;
    }

    /** True once the response is over (at once for commands without response). */
    public boolean isComplete() {
        return complete;
    }

    /** What the last packet fed was. */
    public PacketKind packetKind() {
        return packetKind;
    }

    /**
      * True if the last packet was an OK (either header) announcing session state changes, i.e.
      * CLIENT_SESSION_TRACK is negotiated and SERVER_SESSION_STATE_CHANGED is set. A client without
      * CLIENT_SESSION_TRACK must get it through {@link io.baton.protocol.message.OkPacket#stripSessionState}.
      */
    public boolean lastPacketHasSessionState() {
        return (packetKind == PacketKind.OK || packetKind == PacketKind.OK_AS_EOF)
                && (capabilities & CLIENT_SESSION_TRACK) != 0
                && statusFlags >= 0 && (statusFlags & ServerStatus.SERVER_SESSION_STATE_CHANGED) != 0;
    }

    /**
      * Status flags of the last OK or EOF packet fed (the terminal one once complete), or -1 if none
      * was seen yet or the response ended with ERR: the transaction state is then unknown from this
      * response (a deadlock ERR, for one, has rolled the transaction back).
      */
    public int statusFlags() {
        return statusFlags;
    }

    /** True if status flags are known and say a transaction is open. */
    public boolean inTransaction() {
        return statusFlags >= 0 && (statusFlags & ServerStatus.SERVER_STATUS_IN_TRANS) != 0;
    }

    /** True if status flags are known and say autocommit is on. */
    public boolean autocommit() {
        return statusFlags >= 0 && (statusFlags & ServerStatus.SERVER_STATUS_AUTOCOMMIT) != 0;
    }

    /** True if the last status said another result follows. */
    public boolean moreResults() {
        return statusFlags >= 0 && (statusFlags & ServerStatus.SERVER_MORE_RESULTS_EXISTS) != 0;
    }

    /** Warning count of the last OK or EOF packet. */
    public int warnings() {
        return warnings;
    }

    /** True if the response ended with an ERR packet. */
    public boolean isError() {
        return errorCode >= 0;
    }

    /** True if the response completed without ERR. */
    public boolean isSuccess() {
        return complete && errorCode < 0;
    }

    /** errno of the terminal ERR packet, -1 if none. */
    public int errorCode() {
        return errorCode;
    }

    /** True if the server sent a LOCAL INFILE request during this response. */
    public boolean localInfileRequested() {
        return localInfileRequested;
    }

    /** Number of results (OK packets and result sets) seen in this response. */
    public int resultCount() {
        return resultCount;
    }

    /** True if this was a COM_STMT_PREPARE answered with COM_STMT_PREPARE_OK. */
    public boolean isPrepareOk() {
        return prepareOk;
    }

    /** The server's statement id from the prepare-OK (unsigned 32 bits in an int). */
    public int preparedStatementId() {
        return statementId;
    }

    /** num_params from the prepare-OK. */
    public int preparedParamCount() {
        return prepareParamCount;
    }

    /** num_columns from the prepare-OK. */
    public int preparedColumnCount() {
        return prepareColumnCount;
    }

    @Override
    public String toString() {
        return "ResponseFramer[" + Command.name(command) + ", state=" + state + ", last=" + packetKind
                + (complete ? ", complete" : "") + ", status=" + (statusFlags < 0 ? "?" : ServerStatus.toString(statusFlags))
                + (errorCode >= 0 ? ", errno=" + errorCode : "") + "]";
    }
}
