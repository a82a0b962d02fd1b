package io.baton.proxy;

import io.baton.protocol.Command;
import io.baton.protocol.MySqlError;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolException;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * Client → server, for a logged-in session: reads the client's packets and relays them to the backend as
 * slices of the bytes received. A new command starts only when the session is IDLE, passes the
 * {@link Gate}, and gets a backend first (the {@link SessionMover} opens one when it was lost); statement
 * ids and KILL targets are rewritten in place, commands Baton answers itself are consumed. The rest of a
 * streamed packet and LOCAL INFILE data go through while the command is IN_FLIGHT.
 */
final class CommandRelay {
    /** Marker: the command was answered by Baton itself and its bytes are consumed. */
    private static final ByteBuf CONSUMED = Unpooled.EMPTY_BUFFER.asReadOnly();
    /** Marker: a pooled session's statement is not prepared on this connection yet; it is, then the command goes. */
    private static final ByteBuf PREPARE_FIRST = Unpooled.EMPTY_BUFFER.asReadOnly();

    private final ClientSession s;
    private final Exchange x;
    /** Bytes of the current client packet still to forward as they arrive. */
    private int clientStream;
    /** The last client packet was 16 MiB - 1 long: the next one continues it. */
    private boolean clientContinuation;
    private long clientLogicalLength;
    /** Bytes of a client packet to drop (its command was refused or its backend is gone). */
    private int clientDiscard;
    /** Told to the client in answer to its next statement (which is then not run). */
    private MySqlError pendingError;
    private boolean pendingErrorCloses;
    private long commands;

    CommandRelay(ClientSession session, Exchange exchange) {
        this.s = session;
        this.x = exchange;
    }

    long commands() {
        return commands;
    }

    /** The client's next statement is not run: it gets {@code e} instead, and the session ends if {@code closes}. */
    void tellAtNextStatement(MySqlError e, boolean closes) {
        if (pendingError != null && pendingErrorCloses && !closes) {
            return; // the session ends at its next statement anyway: that is what it is told
        }
        pendingError = e;
        pendingErrorCloses = closes;
    }

    /** The backend was lost with a command under way: what the client still sends for it is dropped. */
    void abandonCommand() {
        x.infile = false;
        clientContinuation = false;
        clientDiscard = clientStream;
        clientStream = 0;
    }

    /** Relays client packets: a new command when idle; the rest of a streamed packet or LOCAL INFILE data in flight. */
    void process() {
        BackendConnection b = s.backend;
        ByteBuf in;
        boolean wrote = false;
        while ((in = s.in) != null && in.isReadable() && s.phase != ClientSession.Phase.CLOSED) {
            int ri = in.readerIndex();
            int avail = in.readableBytes();
            if (clientDiscard > 0) {
                int n = Math.min(clientDiscard, avail);
                in.skipBytes(n);
                clientDiscard -= n;
                continue;
            }
            if (clientStream > 0) {
                int n = Math.min(clientStream, avail);
                b.channel().write(in.retainedSlice(ri, n), b.channel().voidPromise());
                in.skipBytes(n);
                clientStream -= n;
                wrote = true;
                continue;
            }
            if (clientContinuation || x.infile) {
                if (avail < Packets.HEADER_SIZE) {
                    break;
                }
                int len = Packets.payloadLength(in, ri);
                if (clientContinuation) {
                    clientLogicalLength += len;
                    checkPacketSize(clientLogicalLength);
                    clientContinuation = len == Packets.MAX_PAYLOAD;
                } else if (len == 0 && !x.lastInfileFrameFull) {
                    x.infile = false; // the empty packet ends the file; the server answers OK or ERR
                }
                if (x.infile) {
                    x.lastInfileFrameFull = len == Packets.MAX_PAYLOAD;
                }
                int n = Math.min(avail, Packets.HEADER_SIZE + len);
                x.replySeq = (Packets.sequenceId(in, ri) + 1) & 0xFF;
                b.channel().write(in.retainedSlice(ri, n), b.channel().voidPromise());
                in.skipBytes(n);
                clientStream = Packets.HEADER_SIZE + len - n;
                wrote = true;
                continue;
            }
            if (s.phase != ClientSession.Phase.IDLE) {
                break; // a response is under way: the next command waits its turn
            }
            if (avail < Packets.HEADER_SIZE + 1) {
                break;
            }
            int len = Packets.payloadLength(in, ri);
            int packetSeq = Packets.sequenceId(in, ri);
            if (packetSeq != 0) {
                throw new ProtocolException(MySqlError.ER_NET_PACKETS_OUT_OF_ORDER);
            }
            checkPacketSize(len);
            int cmd = in.getUnsignedByte(ri + Packets.HEADER_SIZE);
            boolean whole = avail >= Packets.HEADER_SIZE + len;
            // A pooled session's execute is collected whole: the connection it runs on may hold another session's
            // parameter types for the statement, and Baton must then add the session's (bounded by maxPacketBytes).
            // A query up to 1 MiB too: the text rules read all of it (a multi-statement's later statements).
            boolean streamable = len >= ClientSession.STREAM_THRESHOLD && ((cmd == Command.COM_QUERY
                    && len - 1 > ConnectionIds.MAX_REWRITE) || (cmd == Command.COM_STMT_EXECUTE && !s.lease.pooled())
                    || cmd == Command.COM_STMT_SEND_LONG_DATA);
            if (!whole && !streamable) {
                break;
            }
            if (pendingError != null && Command.expectsResponse(cmd)) {
                // The statement is not run: the client first learns what happened to its session.
                MySqlError e = pendingError;
                pendingError = null;
                skipCommand();
                if (pendingErrorCloses) {
                    s.sendErrAndClose(e, 1);
                    return;
                }
                s.replyErr(e);
                continue;
            }
            if (s.lease.takeInterrupt() && Command.expectsResponse(cmd)) {
                // KILL QUERY while it waited for a server connection: it does not run, as a killed query.
                skipCommand();
                s.replyErr(MySqlError.ER_QUERY_INTERRUPTED);
                continue;
            }
            if (cmd == Command.COM_QUIT) {
                // The session ends here: its connection goes back to the pool (or closes with COM_QUIT of its own).
                skipCommand();
                s.close();
                return;
            }
            if (cmd == Command.COM_STMT_CLOSE && s.lease.pooled() && (b == null || !b.isReady())) {
                // A pooled session's statement lives on connections: the session forgets it, no connection needed.
                if (len >= 5 && whole) {
                    s.state().closeStatement(in.getIntLE(ri + Packets.HEADER_SIZE + 1));
                    x.longDataDone(in.getIntLE(ri + Packets.HEADER_SIZE + 1)); // its connection is gone already
                }
                skipCommand();
                continue;
            }
            if (cmd == Command.COM_QUERY && whole && (b == null || !b.isReady()) && ReadStatements.startsWithBaton(in,
                    ri + Packets.HEADER_SIZE + 1, Math.min(len - 1, in.writerIndex() - ri - Packets.HEADER_SIZE - 1))) {
                // BATON statements are answered by Baton: no connection needed.
                x.command = cmd;
                batonStatement(in.toString(ri + Packets.HEADER_SIZE + 1, len - 1, StandardCharsets.UTF_8));
                skipCommand();
                continue;
            }
            if (!s.server.gate().admits(s.state().inTransaction)) {
                // Held: the gate is closed (a session inside a transaction may finish it), or this node may not
                // route at all (fenced, or its lease lapsed), which holds every statement.
                s.mover.park();
                break;
            }
            if (b == null || !b.isReady()) {
                s.mover.reconnect();
                break;
            }
            if (leavesItsReplica(b)) {
                break;
            }
            if (s.causal.holds(b, cmd, in, ri + Packets.HEADER_SIZE + 1,
                    Math.min(len - 1, in.writerIndex() - ri - Packets.HEADER_SIZE - 1))) {
                break; // its replica is asked to catch up first; the relay goes on when it has
            }
            if (!s.readOnly() && s.server.settings().reads().splits() && s.split.divert(b, cmd, in,
                    ri + Packets.HEADER_SIZE + 1, Math.min(len - 1, in.writerIndex() - ri - Packets.HEADER_SIZE - 1),
                    whole)) {
                b = s.backend; // a plain read: this statement goes to the session's replica
            }
            ByteBuf replacement = startCommand(in, cmd, ri + Packets.HEADER_SIZE, len, whole);
            if (replacement == PREPARE_FIRST) {
                prepareFirst(b);
                break; // the command stays at the head of the client's bytes, and runs once the statement is prepared
            }
            s.causal.statementStarted();
            if (replacement == CONSUMED) {
                if (x.killGuarded != null) {
                    x.killGuarded.lease.killAnswered(); // answered here: nothing goes to a server thread
                    x.killGuarded = null;
                }
                if (s.phase != ClientSession.Phase.CLOSED && s.in != null && s.in.readerIndex() == ri) {
                    skipCommand();
                }
                continue;
            }
            x.replySeq = 1;
            x.losses = x.queuedLosses;
            x.lossAt = x.queuedLossAt;
            x.lossEndpoint = x.queuedLossEndpoint;
            x.queuedLosses = 0;
            commands++;
            s.lease.started();
            if (s.readOnly()) {
                s.server.metrics().read(b.endpoint().name());
            }
            x.startNanos = s.server.metrics().command(cmd, in, ri + Packets.HEADER_SIZE, len);
            if (x.sent != null) {
                x.sent.release();
            }
            SessionState state = s.state();
            boolean kept = whole && (cmd == Command.COM_QUERY || cmd == Command.COM_STMT_EXECUTE);
            x.sent = !kept ? null : replacement != null ? replacement.retainedDuplicate()
                    : in.retainedSlice(ri, Packets.HEADER_SIZE + len);
            x.sentInTransaction = state.inTransaction || !state.autocommit;
            x.answered = false;
            x.rows = -1;
            x.affected = -1;
            x.stateChangeUnexplained = false;
            boolean hadLongData = (cmd == Command.COM_STMT_EXECUTE || cmd == Command.COM_STMT_RESET)
                    && x.longDataDone(x.sentStatementId);
            x.sentWithLongData = cmd == Command.COM_STMT_EXECUTE && hadLongData;
            if (cmd == Command.COM_STMT_SEND_LONG_DATA) {
                x.longDataSent(x.sentStatementId); // its execute's packet lacks that parameter: it cannot be sent again
                if (state.inTransaction) {
                    s.txLog.spoil("a prepared statement's parameter sent as long data");
                }
            }
            if (s.txLog.enabled()) {
                x.digesting = true;
                x.digestBroken = false;
                x.digest.begin(x.sentInTransaction);
            }
            if (replacement != null) {
                in.skipBytes(Packets.HEADER_SIZE + len);
                b.channel().write(replacement, b.channel().voidPromise());
            } else {
                int n = Math.min(avail, Packets.HEADER_SIZE + len);
                b.channel().write(in.retainedSlice(ri, n), b.channel().voidPromise());
                in.skipBytes(n);
                clientStream = Packets.HEADER_SIZE + len - n;
            }
            if (cmd == Command.COM_RESET_CONNECTION) {
                b.retrackAfterReset();
            }
            wrote = true;
            clientContinuation = len == Packets.MAX_PAYLOAD;
            clientLogicalLength = len;
            s.phase = x.framer.expectsResponse() ? ClientSession.Phase.IN_FLIGHT : ClientSession.Phase.IDLE;
            if (cmd == Command.COM_QUIT) {
                s.close();
                return;
            }
        }
        if (wrote && b != null) {
            b.channel().flush();
        }
        if (s.phase == ClientSession.Phase.IDLE && (s.in == null || !s.in.isReadable())) {
            s.lease.idle(); // nothing more to run: the pooled connection may go back
        }
        // Bound what a client may queue behind a running command.
        if (s.in != null && s.in.readableBytes() > s.server.settings().maxPacketBytes() + ClientSession.STREAM_THRESHOLD) {
            s.ch.config().setAutoRead(false);
        }
    }

    /**
     * Drops the command packet at the head of the client's bytes (what has arrived, and the rest as it
     * arrives) and answers it with {@code e}: the statement was not run.
     */
    void refuse(MySqlError e) {
        s.lease.clearInterrupt();
        ByteBuf in = s.in;
        int cmd = in != null && in.readableBytes() > Packets.HEADER_SIZE ? in.getUnsignedByte(in.readerIndex()
                + Packets.HEADER_SIZE) : Command.COM_QUERY;
        if (cmd == Command.COM_STMT_CLOSE && in.readableBytes() >= Packets.HEADER_SIZE + 5) {
            // COM_STMT_CLOSE: 0x19, statement_id<4>. It has no answer to refuse: the client holds it closed, so does
            // the session (else it would count against the session's bound and be prepared again at each move).
            int id = in.getIntLE(in.readerIndex() + Packets.HEADER_SIZE + 1);
            SessionState.PreparedStatement ps = s.state().statement(id);
            if (ps != null && s.lease.pooled() && ps.ownedOn(s.backend)) {
                s.backend.closeStatement(ps.ownId); // held alone there: no other statement closes it later
            }
            s.state().closeStatement(id);
            x.longDataDone(id);
        }
        skipCommand();
        if (Command.expectsResponse(cmd)) {
            s.replyErr(e);
        } else if (cmd == Command.COM_STMT_SEND_LONG_DATA) {
            // No answer to long data: the execute it was meant for learns that its parameter never arrived.
            tellAtNextStatement(e, false);
        }
    }

    private void checkPacketSize(long logicalLength) {
        if (logicalLength > s.server.settings().maxPacketBytes()) {
            throw new ProtocolException(MySqlError.ER_NET_PACKET_TOO_LARGE);
        }
    }

    /**
     * Prepares a client command for the backend. Returns null to forward it as it is, a
     * replacement packet, or {@link #CONSUMED} when Baton answered it itself.
     */
    private ByteBuf startCommand(ByteBuf in, int cmd, int payload, int len, boolean whole) {
        s.mover.commandLeftTheQueue();
        x.command = cmd;
        x.sentSql = null;
        x.call = false; // before the inspection below, which may set them for this statement
        x.stateInText = false;
        try {
            x.framer.begin(cmd, s.backend.capabilities());
        } catch (ProtocolException e) {
            s.replyErr(e.error().withMessage(Command.name(cmd) + " is not relayed by Baton"));
            return CONSUMED;
        }
        SessionState state = s.state();
        switch (cmd) {
            case Command.COM_QUERY -> {
                int have = Math.min(len - 1, in.writerIndex() - payload - 1);
                if (ReadStatements.startsWithBaton(in, payload + 1, have)) {
                    return batonStatement(in.toString(payload + 1, have, StandardCharsets.UTF_8));
                }
                if (s.readOnly()) {
                    MySqlError refused = ReadStatements.makesWritable(in, payload + 1, have);
                    if (refused != null) {
                        s.replyErr(refused);
                        return CONSUMED;
                    }
                }
                ByteBuf rewritten = null;
                // Named locks by the whole text when the head below does not cover it (a long select list, a later
                // statement of a multi-statement): -1 when it does. Relayed as it arrives (over 1 MiB), or past
                // MAX_REWRITE (not decoded), a GET_LOCK mentioned is taken to hold its lock, as an unsure pin would be.
                int wholeLocks = -1;
                // The later statements of a multi-statement, where they start (docs/pool.md); UNSURE, BODY or STREAMED
                // when they cannot be read. Only where the server runs multi-statements at all: else it refuses them.
                int[] later = StatementHead.NONE;
                boolean multi = state.multiStatements(s.capabilities);
                if (!whole) {
                    int arrived = ConnectionIds.mentions(in, payload + 1, have);
                    if ((arrived & ConnectionIds.NAMED_LOCKS) != 0) {
                        wholeLocks = SessionState.GETS_LOCK;
                    }
                    if (multi) {
                        later = StatementHead.STREAMED; // a ';' may come in what has not arrived yet
                    }
                }
                if (whole) {
                    int ids = ConnectionIds.mentions(in, payload + 1, len - 1);
                    if (multi && (ids & ConnectionIds.MULTI) != 0) {
                        later = StatementHead.laterStatements(in, payload + 1, payload + len); // linear, copies nothing
                        if (laterKill(in, later, payload + len) || (later == StatementHead.UNSURE
                                && len - 1 <= ConnectionIds.MAX_REWRITE && KILL_ANYWHERE.matcher(
                                        in.toString(payload + 1, len - 1, StandardCharsets.UTF_8)).find())) {
                            // Its id is Baton's, and Baton answers a KILL itself: it cannot run inside a multi-statement.
                            s.replyErr(MySqlError.ER_NOT_SUPPORTED_YET.withMessage("Baton reads KILL [QUERY |"
                                    + " CONNECTION] id as a statement of its own, not inside a multi-statement;"
                                    + " it did not run this one"));
                            return CONSUMED;
                        }
                    }
                    if ((ids & ConnectionIds.NAMED_LOCKS) != 0 && len - 1 > StatementHead.LENGTH) {
                        wholeLocks = len - 1 > ConnectionIds.MAX_REWRITE ? SessionState.GETS_LOCK
                                : SessionState.namedLockEffects(in.toString(payload + 1, len - 1, StandardCharsets.UTF_8));
                    }
                    if (s.lease.pooled()) {
                        s.lease.inspect(in, payload + 1, len - 1, ids);
                        if ((ids & ConnectionIds.PREVIOUS_VALUES) != 0 && s.lease.connectionChanged()) {
                            // ROW_COUNT() / FOUND_ROWS() of the previous statement, which ran on another connection.
                            rewritten = ConnectionIds.rewritePrevious(s.ch.alloc(), in, payload - Packets.HEADER_SIZE,
                                    len, s.lease.rowCount(), s.lease.foundRows());
                        }
                    }
                    if (rewritten != null && (ids & ConnectionIds.CALL) != 0 && (ids & ConnectionIds.PROCESSLIST) == 0) {
                        ByteBuf twice = ConnectionIds.rewriteStatement(s.ch.alloc(), rewritten, 0,
                                rewritten.readableBytes() - Packets.HEADER_SIZE, s.id());
                        if (twice != null) {
                            rewritten.release();
                            rewritten = twice;
                        }
                        ids &= ~ConnectionIds.CALL;
                    }
                    if ((ids & ConnectionIds.PROCESSLIST) != 0) {
                        // Its rows show Baton's ids; its filters (CONNECTION_ID() too) compare the server's.
                        x.processlist = true;
                        x.showProcesslist = "SHOW".equals(InFlight.firstWord(InFlight.stripLeadingComments(
                                in.toString(payload + 1, Math.min(len - 1, 64), StandardCharsets.US_ASCII))));
                    } else if ((ids & ConnectionIds.CALL) != 0) {
                        rewritten = ConnectionIds.rewriteStatement(s.ch.alloc(), in, payload - Packets.HEADER_SIZE, len,
                                s.id());
                    }
                }
                int end = payload + 1 + Math.min(len - 1, in.writerIndex() - payload - 1); // what is here of it
                if (!StatementHead.mayChangeUnmovableState(in, payload + 1, end - payload - 1)) {
                    if (wholeLocks > 0) {
                        state.apply(wholeLocks);
                    }
                    laterStatements(in, later, payload + 1, end);
                    return rewritten; // the common case: no String, no regex
                }
                // From its first word: a leading comment (/* app */ LOCK TABLES...), however long, hides nothing.
                int start = StatementHead.skipLeading(in, payload + 1, end);
                String head = in.toString(start, Math.min(StatementHead.LENGTH, end - start), StandardCharsets.UTF_8);
                StatementHead.Kill kill = whole && end - start <= StatementHead.LENGTH ? StatementHead.kill(head) : null;
                boolean unreadKill = kill == null && StatementHead.startsWithKill(head);
                if (kill == null && !unreadKill) {
                    // Not refused below: what it does to state that cannot move counts (a refused KILL runs nothing).
                    int effects = SessionState.headEffects(head);
                    if (state.apply(wholeLocks < 0 ? effects : SessionState.withNamedLocks(effects, wholeLocks))) {
                        x.stateInText = true;
                    }
                }
                if (unreadKill) {
                    // Its id is Baton's: sent as it is, the server would read it as one of its own threads.
                    if (rewritten != null) {
                        rewritten.release();
                    }
                    x.processlist = false; // not run: nothing of it applies to the next statement's answer
                    x.showProcesslist = false;
                    s.replyErr(MySqlError.ER_NOT_SUPPORTED_YET.withMessage("Baton reads KILL [QUERY | CONNECTION] id:"
                            + " one numeric id, one statement, at most " + StatementHead.LENGTH + " bytes from KILL on;"
                            + " it did not run this one"));
                    return CONSUMED;
                }
                if (kill == null) {
                    laterStatements(in, later, payload + 1, end);
                    return rewritten;
                }
                if (rewritten != null) {
                    rewritten.release();
                }
                return killStatement(kill);
            }
            case Command.COM_STMT_PREPARE -> {
                if (state.statementCount() >= SessionState.MAX_STATEMENTS) {
                    // Baton keeps each statement's text to prepare it again on other connections: bounded as a
                    // server bounds them (its default max_prepared_stmt_count), per session.
                    s.replyErr(new MySqlError(1461, "42000", "Can't create more than max_prepared_stmt_count statements"
                            + " (current value: " + SessionState.MAX_STATEMENTS + "); Baton counts them per session"));
                    return CONSUMED;
                }
                if (s.readOnly()) {
                    MySqlError refused = ReadStatements.makesWritable(in, payload + 1, len - 1);
                    if (refused != null) {
                        s.replyErr(refused);
                        return CONSUMED;
                    }
                }
                ByteBuf rewritten = ConnectionIds.rewriteStatement(s.ch.alloc(), in, payload - Packets.HEADER_SIZE,
                        len, s.id());
                // Kept as the server got it: a move prepares it again with Baton's id in place of CONNECTION_ID().
                x.pendingPrepareSql = rewritten == null ? in.toString(payload + 1, len - 1, StandardCharsets.UTF_8)
                        : rewritten.toString(Packets.HEADER_SIZE + 1, rewritten.readableBytes() - Packets.HEADER_SIZE - 1,
                        StandardCharsets.UTF_8);
                return rewritten;
            }
            case Command.COM_STMT_EXECUTE, Command.COM_STMT_FETCH, Command.COM_STMT_RESET,
                 Command.COM_STMT_SEND_LONG_DATA, Command.COM_STMT_CLOSE -> {
                if (len < 5) {
                    throw ProtocolException.malformed(Command.name(cmd) + " without a statement id");
                }
                int clientId = in.getIntLE(payload + 1);
                x.sentStatementId = clientId;
                SessionState.PreparedStatement ps = state.statement(clientId);
                if (ps == null) {
                    if (x.framer.expectsResponse()) {
                        s.replyErr(MySqlError.unknownStatement(clientId & 0xFFFFFFFFL, Command.name(cmd)));
                    }
                    return CONSUMED; // CLOSE and SEND_LONG_DATA get no answer, as from a server
                }
                boolean pooled = s.lease.pooled();
                if (pooled) {
                    // The statement lives on connections, not on the session: the one this session has now may
                    // never have seen it (docs/pool.md).
                    boolean own = ps.ownedOn(s.backend);
                    if (cmd == Command.COM_STMT_CLOSE) {
                        boolean longData = x.longDataDone(clientId);
                        state.closeStatement(clientId);
                        if (own) {
                            in.setIntLE(payload + 1, ps.ownId); // its own: the server closes it, cursor and long data
                            s.backend.typesFrom.remove(ps.ownId);
                            return null;
                        }
                        if (longData) {
                            // The server still holds the parameter sent as long data: never for another session.
                            s.backend.diagnostics = true;
                        }
                        return CONSUMED; // the connection keeps it for the next session of its state (bounded)
                    }
                    String key = s.lease.key();
                    if (s.backend.statementsKey != null && s.backend.statementsKey != key) {
                        s.backend.forgetStatements(); // prepared in another state (schema, variables) than the session's
                    }
                    Integer id = own ? Integer.valueOf(ps.ownId) : s.backend.statements.get(ps.sql);
                    if (id == null) {
                        x.prepareFirst = ps;
                        return PREPARE_FIRST;
                    }
                    ps.serverId = id;
                    ps.typesSent = s.backend.typesFrom.get(id) == ps;
                    // flags<1> after the id: CURSOR_TYPE_READ_ONLY 1, FOR_UPDATE 2, SCROLLABLE 4 (8: a parameter count)
                    boolean cursor = cmd == Command.COM_STMT_EXECUTE && len >= 6
                            && (in.getUnsignedByte(payload + 5) & 0x07) != 0;
                    if (cursor) {
                        state.cursorOpened(ps); // a cursor lives on the connection until the statement is closed
                    } else if (cmd == Command.COM_STMT_RESET) {
                        state.cursorClosed(ps); // the server closes the statement's cursor
                    }
                    if (!own && (cursor || cmd == Command.COM_STMT_SEND_LONG_DATA)) {
                        // What the server keeps for this statement (its cursor, its long data) would be another's to
                        // break if a statement of the same text ran on it: it keeps this server statement alone.
                        state.own(ps, s.backend, id);
                    }
                }
                in.setIntLE(payload + 1, ps.serverId);
                if (cmd == Command.COM_STMT_EXECUTE) {
                    x.sentSql = ps.sql;
                    x.call = ps.call;
                    // Its text follows the rules of a COM_QUERY's: pins by what it mentions, state that cannot move.
                    if (pooled) {
                        s.lease.executing(ps);
                    }
                    if (ps.headEffects != 0 && state.apply(ps.headEffects)) {
                        x.stateInText = true;
                    }
                }
                if (cmd == Command.COM_STMT_CLOSE) {
                    state.closeStatement(clientId);
                }
                if (cmd == Command.COM_STMT_EXECUTE && ps.params > 0 && whole) {
                    ByteBuf out = executeWithTypes(in, ps, payload, len);
                    if (pooled && ps.typesSent) {
                        s.backend.typesFrom.put(ps.serverId, ps);
                    }
                    return out;
                }
                return null;
            }
            case Command.COM_PROCESS_KILL -> {
                // COM_PROCESS_KILL: 0x0C, connection_id<4>, Baton's id to the server's thread id.
                if (len < 5) {
                    throw ProtocolException.malformed("COM_PROCESS_KILL without an id");
                }
                ClientSession target = s.server.sessions().get(in.getUnsignedIntLE(payload + 1));
                if (!guardKill(target)) {
                    return CONSUMED;
                }
                if (target != null && target.backendThreadId() == 0 && killedBetweenStatements(target, true)) {
                    return CONSUMED;
                }
                if (target == null || target.backendThreadId() == 0) {
                    s.replyErr(MySqlError.of(1094, "Unknown thread id: " + in.getUnsignedIntLE(payload + 1)));
                    return CONSUMED;
                }
                if (killedElsewhere(target, true, in.getUnsignedIntLE(payload + 1))) {
                    return CONSUMED;
                }
                target.killed = true;
                x.killTarget = target;
                in.setIntLE(payload + 1, (int) target.backendThreadId());
                return null;
            }
            case Command.COM_CHANGE_USER -> {
                s.changeUser(in.retainedSlice(payload, len));
                return CONSUMED;
            }
            case Command.COM_SET_OPTION -> {
                // COM_SET_OPTION: 0x1B, option<2>; 0 turns multi-statements on for the server connection, 1 off. Set
                // other than the login said, the connection is the session's until it is set back (BackendLease).
                if (len >= 3) {
                    state.multiStatementsSet = true;
                    state.multiStatementsOn = in.getUnsignedShortLE(payload + 1)
                            == Command.MYSQL_OPTION_MULTI_STATEMENTS_ON;
                }
                return null;
            }
            case Command.COM_RESET_CONNECTION -> {
                x.pendingReset = true;
                return null;
            }
            default -> {
                return null;
            }
        }
    }

    /** BATON SET consistency = level / BATON SHOW consistency: answered by Baton, never sent to a server. */
    private ByteBuf batonStatement(String sql) {
        ReadStatements.BatonStatement b = ReadStatements.baton(sql);
        if (b.error() != null) {
            s.replyErr(b.error());
        } else if (b.show()) {
            s.replyValue("consistency", s.consistency().label());
        } else if (b.level() != ProxySettings.Consistency.EVENTUAL && !s.server.settings().reads().causal()) {
            s.replyErr(MySqlError.of(1231, "Variable 'consistency' can't be set to the value of '" + b.level().label()
                    + "': the servers replicate by binary log position (replication.mode position), and only GTIDs"
                    + " tell which writes a replica has"));
        } else {
            s.consistency(b.level());
            s.replyOk();
        }
        return CONSUMED;
    }

    /**
     * A read session whose replica may no longer serve (it lags past reads.maxLag, died, or was promoted) moves at
     * its next statement outside a transaction, before the statement runs. True when it is moving (the statement
     * waits for the move).
     */
    private boolean leavesItsReplica(BackendConnection b) {
        if (!s.readOnly() || b == null || !b.isReady() || s.state().inTransaction || s.causal.toSource()) {
            return false; // (a read sent to the source for consistency stays there for its statement)
        }
        ReadPool pool = s.server.readPool();
        io.baton.proxy.routing.Endpoint on = b.endpoint();
        if (pool.serves(on)) {
            return false;
        }
        io.baton.proxy.routing.Endpoint next = pool.pick();
        if (next == null && s.server.settings().reads().fallbackToSource() && on.equals(s.server.source())) {
            return false; // already where the fallback sends it
        }
        if (s.state().unmovableReason() != null) {
            return false; // its state cannot move: it stays where it is
        }
        s.dropBackend();
        s.server.metrics().readMoved();
        s.mover.reconnect();
        return true;
    }

    /**
     * COM_STMT_EXECUTE: 0x17, stmt_id<4>, flags<1>, iteration_count<4>, null_bitmap<(n+7)/8>,
     * new_params_bound_flag<1>, [types<2n>], values. A client sends the types once; after a move the
     * new server has never seen them, so Baton sends them on the first execute there.
     */
    private ByteBuf executeWithTypes(ByteBuf in, SessionState.PreparedStatement ps, int payload, int len) {
        int flagAt = payload + 10 + (ps.params + 7) / 8;
        if (flagAt >= payload + len) {
            return null; // malformed: the server will say so
        }
        int typesLen = 2 * ps.params;
        if (in.getUnsignedByte(flagAt) == 1) {
            if (flagAt + 1 + typesLen <= payload + len) {
                if (ps.types == null || ps.types.length != typesLen) {
                    ps.types = new byte[typesLen]; // drivers send the types with every execute: keep the array
                }
                in.getBytes(flagAt + 1, ps.types);
                ps.typesSent = true;
            }
            return null;
        }
        if (ps.typesSent || ps.types == null) {
            return null;
        }
        int newLen = len + typesLen;
        ByteBuf out = s.ch.alloc().buffer(Packets.HEADER_SIZE + newLen);
        Packets.writeHeader(out, newLen, 0);
        out.writeBytes(in, payload, flagAt - payload);
        out.writeByte(1);
        out.writeBytes(ps.types);
        out.writeBytes(in, flagAt + 1, payload + len - flagAt - 1);
        ps.typesSent = true;
        return out;
    }

    /** KILL [QUERY|CONNECTION] n: n is Baton's connection id; the server knows its own thread id. */
    private ByteBuf killStatement(StatementHead.Kill kill) {
        ClientSession target = s.server.sessions().get(kill.connectionId());
        if (!guardKill(target)) {
            return CONSUMED;
        }
        long thread = target == null ? 0 : target.backendThreadId();
        if (thread == 0 && killedBetweenStatements(target, kill.kind() == null
                || kill.kind().equalsIgnoreCase("CONNECTION"))) {
            return CONSUMED;
        }
        if (thread == 0) {
            s.replyErr(MySqlError.of(1094, "Unknown thread id: " + kill.connectionId()));
            return CONSUMED;
        }
        if (killedElsewhere(target, kill.kind() == null || kill.kind().equalsIgnoreCase("CONNECTION"),
                kill.connectionId())) {
            return CONSUMED;
        }
        if (kill.kind() == null || kill.kind().equalsIgnoreCase("CONNECTION")) {
            target.killed = true;
            x.killTarget = target;
        }
        String sql = "KILL " + (kill.kind() == null ? "" : kill.kind().toUpperCase(Locale.ROOT) + " ") + thread;
        ByteBuf out = s.ch.alloc().buffer(Packets.HEADER_SIZE + 1 + sql.length());
        Packets.writeHeader(out, 1 + sql.length(), 0);
        out.writeByte(Command.COM_QUERY);
        out.writeCharSequence(sql, StandardCharsets.US_ASCII);
        return out;
    }

    /**
     * A KILL whose target runs on another server than this session's backend (a read session on a replica, or a
     * read split off to one): thread ids are per server, so the KILL must not go to this session's server. KILL
     * CONNECTION: Baton ends the target session itself and answers OK. KILL QUERY: refused. True when answered here.
     */
    private boolean killedElsewhere(ClientSession target, boolean connection, long id) {
        io.baton.proxy.routing.Endpoint there = target.backendEndpoint();
        if (there == null || there.equals(s.backend.endpoint())) {
            return false;
        }
        if (connection) {
            target.killed = true;
            target.channel().eventLoop().execute(target::close);
            s.replyOk();
        } else {
            s.replyErr(MySqlError.of(1094, "Unknown thread id: " + id + " (its statement runs on " + there.name()
                    + ", not on this session's server " + s.backend.endpoint().name() + "; Baton kills a query only"
                    + " on the asking session's server)"));
        }
        return true;
    }

    /**
     * A KILL of a session that holds no server connection (it gave it back to the pool between statements): nothing
     * runs, so KILL QUERY is an OK with nothing to do, as on a server; KILL CONNECTION ends it here. True when
     * answered.
     */
    /** A statement is being prepared on the session's connection before its command goes ({@link #prepareFirst}). */
    private boolean preparing;

    boolean preparing() {
        return preparing;
    }

    /** Whether a prepared statement's parameter was sent as long data and its execute has not come yet. */
    boolean longDataPending() {
        return x.longDataPending();
    }

    /**
     * A pooled session runs a prepared statement on a connection that has never seen it: the statement is prepared
     * there first (the session is MIGRATING meanwhile), then the client's command goes as if just sent. If the server
     * refuses to prepare it now (a table dropped, say), the command gets that error and the connection is dropped.
     */
    private void prepareFirst(BackendConnection b) {
        SessionState.PreparedStatement ps = x.prepareFirst;
        x.prepareFirst = null;
        s.phase = ClientSession.Phase.MIGRATING;
        preparing = true;
        SessionReplay r = SessionReplay.prepare(s.state(), ps, s.lease.key(), res -> {
            preparing = false;
            if (s.phase == ClientSession.Phase.CLOSED) {
                return;
            }
            s.phase = ClientSession.Phase.IDLE;
            if (!res.lost()) {
                b.listener(s.link); // prepared, or refused by the server: the connection stays the session's
            }
            if (s.mover.completeDeferredMove()) {
                return; // a move asked for meanwhile goes first; the command runs on the moved session
            }
            if (res.lost() && b == s.backend) {
                // The connection went during the prepare: what that means for the session (a transaction lost,
                // a KILL) is decided as for any lost connection; the command then runs on the next one.
                b.listener(s.link);
                s.link.backendClosed(b);
                return;
            }
            if (!res.ok() && b == s.backend) {
                refuse(res.error()); // e.g. a table dropped since: the client's command gets the server's answer
            }
            process();
        });
        b.listener(r);
        r.backendReady(b);
    }

    /** Words of the text rules (docs/pool.md): a multi-statement that cannot be split pins when it has one. */
    private static final java.util.regex.Pattern RULE_WORDS = java.util.regex.Pattern.compile("\\b(?:LOCK|TEMPORARY"
            + "|PREPARE|XA|HANDLER|FLUSH|TRANSACTION|INSTANCE|KILL|GET_LOCK)\\b", java.util.regex.Pattern.CASE_INSENSITIVE);

    /** The word KILL anywhere: a multi-statement that cannot be split must not carry one to the server. */
    private static final java.util.regex.Pattern KILL_ANYWHERE = java.util.regex.Pattern.compile("\\bKILL\\b",
            java.util.regex.Pattern.CASE_INSENSITIVE);

    /** Whether a later statement of a multi-statement ({@code later}, text up to {@code end}) is a KILL. */
    private static boolean laterKill(ByteBuf in, int[] later, int end) {
        for (int k : later) {
            int c = in.getByte(k) | 0x20;
            if (end - k >= 4 && (c == 'k' || c == '/') && StatementHead.startsWithKill(
                    in.toString(k, Math.min(end - k, StatementHead.LENGTH), StandardCharsets.US_ASCII))) {
                return true;
            }
        }
        return false;
    }

    /**
     * The rules of how a statement starts, for the later statements of a multi-statement, in their order, after the
     * first statement's: what they do to state that cannot move (LOCK TABLES, a temporary table...) and, pooled, what
     * pins the session until a reset (SQL PREPARE, XA, HANDLER, FLUSH ... WITH READ LOCK...). Named locks are not
     * theirs to say: the first statement's rules already read every call in the whole text, in order. A multi-statement
     * that cannot be split (text [from, end), what has arrived of it) pins when it has a word of those rules, and a
     * temporary table or LOCK TABLES anywhere in it is taken to hold, as anything unsure is.
     */
    private void laterStatements(ByteBuf in, int[] later, int from, int end) {
        SessionState state = s.state();
        if (later == StatementHead.STREAMED) {
            // What has not arrived goes unread: pinned, whatever it holds; what has arrived may leave unmovable state.
            if (end - from <= ConnectionIds.MAX_REWRITE && state.applyUnsure(
                    in.toString(from, end - from, StandardCharsets.UTF_8))) {
                x.stateInText = true;
            }
            if (s.lease.pooled()) {
                state.pin("multi-statement not read");
            }
            return;
        }
        if (later == StatementHead.BODY) {
            // A routine's text: its body's statements run later, not now, but what follows its END runs now and is not
            // told apart: a piece that starts a rule pins (nothing of it is taken to hold).
            int[] pieces = StatementHead.split(in, StatementHead.skipLeading(in, from, end), end);
            if (pieces == StatementHead.UNSURE) {
                later = StatementHead.UNSURE;
            } else {
                for (int j = 0; j < pieces.length; j++) {
                    int k = pieces[j];
                    int stop = j + 1 < pieces.length ? pieces[j + 1] : end;
                    int effects = !StatementHead.mayChangeUnmovableState(in, k, stop - k) ? 0
                            : SessionState.withNamedLocks(SessionState.headEffects(in.toString(k,
                                    Math.min(StatementHead.LENGTH, stop - k), StandardCharsets.UTF_8)), 0);
                    // What it takes (a temporary table, table locks) is taken to hold; what it ends is not.
                    if (state.apply(SessionState.takesOnly(effects))) {
                        x.stateInText = true;
                    }
                    if (s.lease.pooled() && (effects != 0 || BackendLease.textPin(in, k, stop - k, 0) != null)) {
                        state.pin("multi-statement not read");
                    }
                }
                return;
            }
        }
        if (later == StatementHead.UNSURE) {
            boolean rules = true;
            if (end - from <= ConnectionIds.MAX_REWRITE) {
                String text = in.toString(from, end - from, StandardCharsets.UTF_8);
                if (state.applyUnsure(text)) {
                    x.stateInText = true;
                }
                rules = RULE_WORDS.matcher(text).find();
            }
            if (rules && s.lease.pooled()) {
                state.pin("multi-statement not read");
            }
            return;
        }
        for (int j = 0; j < later.length; j++) {
            int k = later[j];
            int stop = j + 1 < later.length ? later[j + 1] : end; // its own text, up to the next statement
            if (StatementHead.mayChangeUnmovableState(in, k, stop - k)) {
                String head = in.toString(k, Math.min(StatementHead.LENGTH, stop - k), StandardCharsets.UTF_8);
                if (state.apply(SessionState.withNamedLocks(SessionState.headEffects(head), 0))) {
                    x.stateInText = true;
                }
            }
            if (s.lease.pooled()) {
                s.lease.inspectLater(in, k, stop - k);
            }
        }
    }

    /**
     * A pooled target keeps its connection until this KILL is answered, so that the thread id sent is still its own
     * when the server runs the KILL ({@link BackendLease#guardForKill}); released at the end of the response.
     */
    private boolean guardKill(ClientSession target) {
        if (target == null || !target.lease.pooled()) {
            return true;
        }
        if (!target.lease.guardForKill()) {
            // It is giving its connection back this very moment: the thread id read now could be another session's.
            s.replyErr(MySqlError.of(1094, "Unknown thread id: " + target.id() + " is changing server connections;"
                    + " try again"));
            return false;
        }
        x.killGuarded = target;
        return true;
    }

    private boolean killedBetweenStatements(ClientSession target, boolean connection) {
        if (target == null || !target.lease.pooled() || target.backendThreadId() != 0
                || target.phase == ClientSession.Phase.CLOSED || target.channel() == null) {
            return false;
        }
        if (connection) {
            target.killed = true;
            target.channel().eventLoop().execute(target::close);
        } else if (target.phase != ClientSession.Phase.IDLE && target.phase != ClientSession.Phase.GREETING
                && target.phase != ClientSession.Phase.AUTH_SWITCH) {
            // Its statement waits for a connection (or for its last one's LAST_INSERT_ID): it is not run.
            target.lease.interruptWaiting();
        }
        s.replyOk();
        return true;
    }

    /** Drops the command packet at the head of the client's bytes (what has arrived, and the rest as it arrives). */
    private void skipCommand() {
        s.mover.commandLeftTheQueue();
        x.queuedLosses = 0;
        ByteBuf in = s.in;
        int len = Packets.payloadLength(in, in.readerIndex());
        int have = Math.min(in.readableBytes(), Packets.HEADER_SIZE + len);
        in.skipBytes(have);
        clientDiscard = Packets.HEADER_SIZE + len - have;
    }
}
