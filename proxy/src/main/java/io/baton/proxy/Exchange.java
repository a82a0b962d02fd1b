package io.baton.proxy;

import io.baton.protocol.ResponseFramer;

/**
 * The command under way between a client and its server: what the {@link CommandRelay} starts and
 * the {@link ResponseRelay} finishes. One per session, reused command after command, touched only on
 * the session's event loop.
 */
final class Exchange {
    /** The command byte of the command under way (-1 before the first). */
    int command = -1;
    /** Follows the server's answer far enough to know where it ends and what its status flags say. */
    final ResponseFramer framer = new ResponseFramer();
    /** Sequence id the next packet to the client must carry while a response is under way. */
    int replySeq = 1;
    /** When the command started, for the statement latency meter. */
    long startNanos;
    /** The SQL of a COM_STMT_PREPARE under way, recorded with the statement once the server accepts it. */
    String pendingPrepareSql;
    /** A COM_RESET_CONNECTION under way: the tracked state is reset once the server says OK. */
    boolean pendingReset;
    /** The session this one's KILL CONNECTION targets, until the server has answered it. */
    ClientSession killTarget;
    /** A pooled session's prepared statement to prepare on its connection before its command goes. */
    SessionState.PreparedStatement prepareFirst;
    /** The pooled session a KILL under way keeps on its connection (BackendLease#guardForKill), or null. */
    ClientSession killGuarded;
    /** The server asked for a LOCAL INFILE: the client's next packets are the file, up to an empty one. */
    boolean infile;
    boolean lastInfileFrameFull;

    // What to make of the command if its server is lost before it completes (InFlight).
    /**
     * The COM_QUERY or COM_STMT_EXECUTE packet under way as the server got it (a retained slice), or null (another
     * command, or one sent in pieces).
     */
    io.netty.buffer.ByteBuf sent;
    /** The SQL of the prepared statement a COM_STMT_EXECUTE under way runs, or null. */
    String sentSql;
    /** The client's id of the prepared statement a COM_STMT_EXECUTE under way runs. */
    int sentStatementId;
    /**
     * The session was inside a transaction when the command was sent, or had autocommit off (a statement then
     * never commits by itself).
     */
    boolean sentInTransaction;
    /** Some of the command's response arrived. */
    boolean answered;
    /**
     * How often the command under way had lost its server in flight before this run ({@link InFlight#MAX_RERUNS});
     * {@code queuedLosses}: the same for the command put back at the head of the client's bytes, until it starts.
     */
    int losses;
    int queuedLosses;
    /** When and where the command under way (the one put back) was last lost (System.nanoTime; the server). */
    long lossAt;
    long queuedLossAt;
    io.baton.proxy.routing.Endpoint lossEndpoint;
    io.baton.proxy.routing.Endpoint queuedLossEndpoint;

    // Transaction replay (TransactionLog): a digest of the response, when replay is on.
    final ResponseDigest digest = new ResponseDigest();
    boolean digesting;
    /** A packet of the response streamed through unseen: its digest is incomplete. */
    boolean digestBroken;
    /**
     * Client ids of the statements COM_STMT_SEND_LONG_DATA was sent for since their last execute or reset (null:
     * none): the server holds those parameters on the connection until then. Also whether the execute under way
     * used such a parameter.
     */
    java.util.Set<Integer> longData;
    boolean sentWithLongData;
    boolean longDataPending() {
        return longData != null && !longData.isEmpty();
    }

    /** Long data was sent for {@code statement} (a client id). */
    void longDataSent(int statement) {
        if (longData == null) {
            longData = new java.util.HashSet<>(4);
        }
        longData.add(statement);
    }

    /** {@code statement} was executed, reset or closed: whether long data was pending for it (the server's is gone). */
    boolean longDataDone(int statement) {
        return longData != null && longData.remove(statement);
    }

    // What the response leaves for the session's next statement (BackendLease).
    /** Rows of the last result set (-1: none yet), affected rows of the last OK (-1: none). */
    long rows = -1;
    long affected = -1;
    /** The server reported a change of session state that no tracked variable or schema explains. */
    boolean stateChangeUnexplained;
    /** The statement under way is a CALL (BackendLease#inspect). */
    boolean call;
    /**
     * The statement's text shows the state it leaves (a temporary table, a lock, a user variable, SQL PREPARE...): a
     * "state changed" report for it is explained, and the text's own rule (with its own end) pins the session.
     */
    boolean stateInText;

    // A statement reading the process list: its id column shows Baton's ids (ConnectionIds).
    /** The statement reads the process list; {@code showProcesslist}: it is SHOW [FULL] PROCESSLIST. */
    boolean processlist;
    boolean showProcesslist;
    /** Of the result set under way: which columns are the process list's id, and how many definitions came. */
    boolean[] idColumns;
    int columnIndex;
    boolean anyIdColumn;
    /** Server thread id → Baton session id on this session's server, taken once per response. */
    java.util.Map<Long, Long> threadToSession;

    /** The command is over: what was kept of it goes. */
    void forget() {
        if (sent != null) {
            sent.release();
            sent = null;
        }
        sentSql = null;
        if (killGuarded != null) {
            killGuarded.lease.killAnswered();
            killGuarded = null;
        }
        processlist = false;
        showProcesslist = false;
        idColumns = null;
        anyIdColumn = false;
        threadToSession = null;
    }

    /** The command's SQL, for {@link InFlight}: decoded from the kept packet only now, when a server was lost. */
    String sentStatement() {
        if (sent != null && command == io.baton.protocol.Command.COM_QUERY) {
            int len = io.baton.protocol.Packets.payloadLength(sent, sent.readerIndex());
            return sent.toString(sent.readerIndex() + io.baton.protocol.Packets.HEADER_SIZE + 1, len - 1,
                    java.nio.charset.StandardCharsets.UTF_8);
        }
        return sentSql;
    }
}
