package io.baton.protocol.message;

import io.baton.protocol.Command;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ProtocolIO;
import io.netty.buffer.ByteBuf;

// Command packet: command<1>, arguments<EOF> — dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_command_phase.html
/**
  * Any command-phase packet from the client, split into its command byte and the rest, without
  * copying. The static helpers work on raw payloads for the hot path: {@link #commandOf} peeks the
  * command byte, {@link #statementId} and {@link #rewriteStatementId} read and patch, in place, the
  * statement id that the prepared-statement commands carry in bytes 1..4 — the proxy maps the
  * client's statement ids to the server's.
  */
public final class CommandPacket {

    private final int command;
    private final ByteBuf body;

    private CommandPacket(int command, ByteBuf body) {
        this.command = command;
        this.body = body;
    }

    /**
      * Splits the payload (consumed). The body is a read-only slice of {@code payload}: not retained,
      * valid while the payload is.
      */
    public static CommandPacket decode(ByteBuf payload) {
        int command = ProtocolIO.readInt1(payload);
        return new CommandPacket(command, payload.readSlice(payload.readableBytes()).asReadOnly());
    }

    public void encode(ByteBuf out) {
        out.writeByte(command);
        out.writeBytes(body, body.readerIndex(), body.readableBytes());
    }

    /** The command byte; see {@link Command}. */
    public int command() {
        return command;
    }

    /** The arguments after the command byte: a read-only view, not retained. */
    public ByteBuf body() {
        return body.duplicate();
    }

    /** The command byte of a payload (not consumed). */
    public static int commandOf(ByteBuf payload) {
        if (!payload.isReadable()) {
            throw ProtocolException.malformed("empty command packet");
        }
        return payload.getUnsignedByte(payload.readerIndex());
    }

    /**
      * The statement id (bytes 1..4, unsigned 32 bits in an int) of a COM_STMT_EXECUTE,
      * SEND_LONG_DATA, CLOSE, RESET, FETCH or COM_STMT_BULK_EXECUTE payload (not consumed).
      */
    public static int statementId(ByteBuf payload) {
        checkStatementCommand(payload);
        return payload.getIntLE(payload.readerIndex() + 1);
    }

    /** Overwrites the statement id in place (bytes 1..4), e.g. client id to server id. */
    public static void rewriteStatementId(ByteBuf payload, int newStatementId) {
        checkStatementCommand(payload);
        payload.setIntLE(payload.readerIndex() + 1, newStatementId);
    }

    private static void checkStatementCommand(ByteBuf payload) {
        int command = commandOf(payload);
        if (!Command.carriesStatementId(command)) {
            throw new IllegalArgumentException(Command.name(command) + " carries no statement id");
        }
        if (payload.readableBytes() < 5) {
            throw ProtocolException.malformed(Command.name(command) + " of " + payload.readableBytes() + " bytes");
        }
    }

    @Override
    public String toString() {
        return "CommandPacket[" + Command.name(command) + ", " + body.readableBytes() + " bytes]";
    }
}
