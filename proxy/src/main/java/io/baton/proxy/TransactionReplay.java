package io.baton.proxy;

import io.baton.protocol.Command;
import io.baton.protocol.Packets;
import io.baton.protocol.ProtocolException;
import io.baton.protocol.ResponseFramer;
import io.netty.buffer.ByteBuf;
import io.netty.util.concurrent.ScheduledFuture;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs a session's open transaction again on a new backend (its session state already rebuilt by
 * {@link SessionReplay}): the {@link TransactionLog}'s statements one at a time, each answer's {@link ResponseDigest}
 * compared with what the client saw. One at a time, never pipelined: a statement that fails differently could end
 * the transaction, and the next one would then run outside it. Any difference, or a transaction no longer open after
 * a statement, rolls the new backend's transaction back and reports it; nothing of it commits. Bounded by
 * gate.maxWait.
 */
final class TransactionReplay implements BackendConnection.Listener {
    enum Outcome { REPLAYED, DIFFERENT, FAILED }

    /** How a replay ended; {@code why} says what differed or failed. */
    record Result(Outcome outcome, String why, int statements, long bytes) {
    }

    private final SessionState state;
    private final List<TransactionLog.Entry> entries;
    private final BackendConnection b;
    private final Consumer<Result> done;
    private final ResponseFramer framer = new ResponseFramer();
    private final ResponseDigest digest = new ResponseDigest();
    private final long bytes;
    private int current;
    private ByteBuf cum;
    private String different;
    private boolean rollingBack;
    private boolean settingAutocommit;
    private boolean finished;
    private ScheduledFuture<?> deadline;

    TransactionReplay(SessionState state, TransactionLog log, BackendConnection b, Consumer<Result> done) {
        this.state = state;
        this.entries = List.copyOf(log.entries());
        this.bytes = log.bytes();
        this.b = b;
        this.done = done;
    }

    /** Starts on the backend (ready, its session state rebuilt); {@code done} is called once, on its event loop. */
    void start(long timeoutMillis) {
        b.listener(this);
        deadline = b.channel().eventLoop().schedule(() -> fail("no answer within " + timeoutMillis + " ms"),
                timeoutMillis, TimeUnit.MILLISECONDS);
        if (entries.isEmpty()) {
            finish(Outcome.REPLAYED, null);
            return;
        }
        if (!state.autocommit) {
            // With autocommit off the transaction has no BEGIN: the new session must have it off before the first
            // statement, tracked variable or not, or that statement would commit by itself.
            settingAutocommit = true;
            query("SET autocommit = 0");
            return;
        }
        send();
    }

    private void query(String text) {
        framer.begin(Command.COM_QUERY, b.capabilities());
        b.channel().writeAndFlush(b.queryPacket(text));
    }

    private void send() {
        TransactionLog.Entry e = entries.get(current);
        byte[] packet = e.packet();
        ByteBuf out = b.channel().alloc().buffer(packet.length);
        out.writeBytes(packet);
        if (e.command() == Command.COM_STMT_EXECUTE) {
            SessionState.PreparedStatement ps = state.statement(e.clientStatementId());
            if (ps == null) {
                out.release();
                different = "a prepared statement it ran was closed";
                rollBack();
                return;
            }
            // A pooled connection knows its statements by SQL (BackendConnection#statements); else the session's id.
            boolean own = ps.ownedOn(b); // an earlier execute of this replay opened a cursor: held alone since
            Integer shared = own ? Integer.valueOf(ps.ownId) : b.statements.get(ps.sql);
            int id = shared != null ? shared : ps.serverId;
            out.setIntLE(Packets.HEADER_SIZE + 1, id); // the kept packet carries the types as well
            if (!own && shared != null && packet.length > Packets.HEADER_SIZE + 5 && (packet[Packets.HEADER_SIZE + 5] & 0x07) != 0) {
                state.own(ps, b, id); // it opens a cursor again: held alone, as when the client ran it (docs/pool.md)
            }
            ps.typesSent = true;
            b.typesFrom.put(id, ps);
        }
        digest.begin(e.rows());
        framer.begin(e.command(), b.capabilities());
        b.channel().writeAndFlush(out);
    }

    private void rollBack() {
        rollingBack = true;
        query("ROLLBACK");
    }

    @Override
    public void backendRead(BackendConnection conn, ByteBuf msg) {
        if (finished) {
            msg.release();
            return;
        }
        cum = cum == null ? msg : BackendConnection.append(conn.channel().alloc(), cum, msg);
        try {
            while (!finished) {
                int frame = Packets.completeFrameLength(cum, cum.readerIndex(), Packets.MAX_PAYLOAD);
                if (frame < 0) {
                    break;
                }
                int at = cum.readerIndex();
                ResponseFramer.Step step = framer.onFrame(cum, at);
                if (!rollingBack && !settingAutocommit) {
                    digest.packet(framer.packetKind(), cum, at + Packets.HEADER_SIZE, frame - Packets.HEADER_SIZE);
                }
                cum.skipBytes(frame);
                if (step == ResponseFramer.Step.LOCAL_INFILE) {
                    fail("the server asked for a file");
                    return;
                }
                if (step == ResponseFramer.Step.COMPLETE) {
                    responseComplete();
                }
            }
        } catch (ProtocolException e) {
            fail("a malformed answer: " + e.getMessage());
        } finally {
            if (cum != null && !cum.isReadable()) {
                cum.release();
                cum = null;
            }
        }
    }

    private void responseComplete() {
        if (settingAutocommit) {
            settingAutocommit = false;
            if (!framer.isSuccess()) {
                fail("SET autocommit = 0 failed");
                return;
            }
            send();
            return;
        }
        if (rollingBack) {
            if (framer.isSuccess()) {
                finish(Outcome.DIFFERENT, different);
            } else {
                fail("its ROLLBACK failed");
            }
            return;
        }
        TransactionLog.Entry e = entries.get(current);
        if (digest.value() != e.digest()) {
            different = "statement " + (current + 1) + " of " + entries.size() + " answered differently";
        } else if (!framer.inTransaction()) {
            different = "the transaction ended after statement " + (current + 1) + " of " + entries.size();
        }
        if (different != null) {
            rollBack();
            return;
        }
        if (++current == entries.size()) {
            finish(Outcome.REPLAYED, null);
            return;
        }
        send();
    }

    private void fail(String why) {
        if (!finished) {
            b.close(); // nothing of it commits: the server rolls the transaction back when the connection ends
            finish(Outcome.FAILED, why);
        }
    }

    private void finish(Outcome outcome, String why) {
        if (finished) {
            return;
        }
        finished = true;
        if (deadline != null) {
            deadline.cancel(false);
        }
        if (cum != null) {
            cum.release();
            cum = null;
        }
        if (outcome == Outcome.REPLAYED) {
            state.inTransaction = !entries.isEmpty(); // empty: only the statement in flight goes again, opening it
        }
        done.accept(new Result(outcome, why, entries.size(), bytes));
    }

    @Override
    public void backendReady(BackendConnection conn) {
        // started on a ready backend
    }

    @Override
    public void backendFailed(BackendConnection conn, io.baton.protocol.MySqlError error) {
        fail(error.message());
    }

    @Override
    public void backendClosed(BackendConnection conn) {
        fail("the connection to " + conn.endpoint() + " was lost");
    }

    @Override
    public void backendReadComplete(BackendConnection conn) {
        // nothing to flush towards the client during a replay
    }

    @Override
    public void backendWritabilityChanged(BackendConnection conn) {
        // one statement at a time
    }
}
