package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.baton.protocol.Command;
import io.baton.protocol.Packets;
import io.baton.protocol.ResponseFramer.PacketKind;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The rules of docs/replay.md: what is kept of an open transaction, what replays, and how answers are compared. */
class TransactionLogTest {

    private static ByteBuf query(String sql) {
        byte[] b = sql.getBytes(StandardCharsets.UTF_8);
        ByteBuf out = Unpooled.buffer();
        Packets.writeHeader(out, 1 + b.length, 0);
        out.writeByte(Command.COM_QUERY);
        out.writeBytes(b);
        return out;
    }

    /** Records {@code sql} as the session's statement under way, answered with an OK of {@code affected} rows. */
    private static void run(TransactionLog log, SessionState state, String sql, boolean inTransactionAfter, int affected) {
        Exchange x = new Exchange();
        x.command = Command.COM_QUERY;
        x.sent = query(sql);
        x.sentInTransaction = state.inTransaction;
        x.digest.begin(state.inTransaction);
        ByteBuf ok = Unpooled.buffer().writeByte(0).writeByte(affected).writeByte(0).writeShortLE(0).writeShortLE(0);
        x.digest.packet(PacketKind.OK, ok, 0, ok.readableBytes());
        state.inTransaction = inTransactionAfter;
        log.completed(x, state);
        x.forget();
    }

    @Test
    void keepsTheStatementsOfTheOpenTransactionAndStartsOverAfterIt() {
        TransactionLog log = new TransactionLog(ProxySettings.Replay.defaults());
        SessionState state = new SessionState();
        run(log, state, "SELECT 1", false, 0);
        assertEquals(0, log.entries().size(), "an autocommit statement is not kept");
        run(log, state, "BEGIN", true, 0);
        run(log, state, "UPDATE t SET v = v + 1 WHERE id = 1", true, 1);
        run(log, state, "INSERT INTO t VALUES (2, 'a@b.example', 'now()')", true, 1);
        assertEquals(3, log.entries().size());
        assertNull(log.refusal(state), "an @ or a call's name inside a string is data");
        run(log, state, "COMMIT", false, 0);
        assertEquals(0, log.entries().size(), "the transaction is over");
        assertEquals(0, log.bytes());
    }

    @Test
    void aTransactionOverMaxBytesIsNotReplayed() {
        TransactionLog log = new TransactionLog(new ProxySettings.Replay(true, 100, 3));
        SessionState state = new SessionState();
        run(log, state, "BEGIN", true, 0);
        run(log, state, "INSERT INTO t VALUES ('" + "x".repeat(200) + "')", true, 1);
        assertTrue(log.refusal(state).contains("replay.maxBytes"), log.refusal(state));
        assertEquals(0, log.bytes(), "what was kept is let go at once");
        run(log, state, "ROLLBACK", false, 0);
        assertNull(log.refusal(state), "the next transaction starts afresh");
    }

    @Test
    void replayIsRefusedForStatementsWhoseAnswerOrEffectBelongsToTheLostConnection() {
        for (String sql : new String[] {"SELECT NOW()", "SELECT NOW(6), id FROM t", "SELECT UUID()", "SELECT @@server_id", "INSERT INTO t VALUES (@@SESSION.server_uuid)", "SELECT @x:=1",
            "SELECT RAND() FROM t", "SELECT CURRENT_TIMESTAMP", "INSERT INTO t VALUES (LAST_INSERT_ID())",
            "INSERT INTO t VALUES (CONNECTION_ID())", "SELECT GET_LOCK('a', 1)", "SET @x = 1", "UPDATE t SET v = @x",
            "SELECT NEXT VALUE FOR s", "SELECT SQL_CALC_FOUND_ROWS * FROM t", "SELECT * FROM t INTO OUTFILE '/tmp/x'",
            "CALL p()", "CREATE TABLE x (a INT)", "COMMIT", "ROLLBACK", "INSERT INTO t VALUES (1); COMMIT",
            "/*!50000 UPDATE t SET v = 1 */", "LOCK TABLES t WRITE", "SET sql_mode = ''",
            "INSERT INTO t SELECT NOW()", "START REPLICA", "START SLAVE", "RELEASE", "UPDATE t /* don't */ SET a = @x",
            "UPDATE `it's` SET a = @x", "UPDATE t SET a = 1 -- it's\n, b = @x"}) {
            assertNotNull(TransactionLog.refusal(sql), sql);
        }
        for (String sql : new String[] {"SELECT v FROM t WHERE id = 1 FOR UPDATE", "UPDATE t SET v = v + 1 WHERE id = 1",
            "INSERT INTO t (id, created) VALUES (1, NOW())", "DELETE FROM t WHERE id = 3", "SAVEPOINT a",
            "ROLLBACK TO SAVEPOINT a", "START TRANSACTION", "REPLACE INTO t VALUES (1, 'x')",
            "SELECT * FROM t WHERE note = 'now()'", "SELECT @@session.transaction_read_only",
            "SELECT @@autocommit, @@sql_mode"}) {
            assertNull(TransactionLog.refusal(sql), sql);
        }
    }

    @Test
    void aTransactionStartedInsideAnotherIsNotReplayed() {
        TransactionLog log = new TransactionLog(ProxySettings.Replay.defaults());
        SessionState state = new SessionState();
        run(log, state, "BEGIN", true, 0);
        run(log, state, "UPDATE acct SET bal = bal - 10 WHERE id = 1", true, 1);
        assertNull(log.refusal(state));
        run(log, state, "BEGIN", true, 0); // commits the UPDATE on the server: replaying it would debit twice
        run(log, state, "INSERT INTO t VALUES (1)", true, 1);
        assertTrue(log.refusal(state).contains("implicit commit"), log.refusal(state));
        assertNull(TransactionLog.refusal("SELECT NOW() FROM t WHERE SLEEP(1) = 0", false), "never answered: no clock rule");
        assertNotNull(TransactionLog.refusal("UPDATE t SET a = @x", false), "a user variable, answered or not");
    }

    @Test
    void noBackslashEscapesIsNotReadForReplay() {
        TransactionLog log = new TransactionLog(ProxySettings.Replay.defaults());
        SessionState state = new SessionState();
        state.variable("sql_mode", "ANSI_QUOTES,NO_BACKSLASH_ESCAPES");
        run(log, state, "BEGIN", true, 0);
        assertTrue(log.refusal(state).contains("NO_BACKSLASH_ESCAPES"));
    }

    @Test
    void aChangeOfSessionStateInsideTheTransactionSpoilsIt() {
        TransactionLog log = new TransactionLog(ProxySettings.Replay.defaults());
        SessionState state = new SessionState();
        run(log, state, "BEGIN", true, 0);
        log.spoil("session variable sql_mode changed inside the transaction");
        run(log, state, "UPDATE t SET v = 1 WHERE id = 1", true, 1);
        assertEquals("session variable sql_mode changed inside the transaction", log.refusal(state));
        assertEquals(0, log.entries().size());
    }

    @Test
    void afterFailedAttemptsItIsNoLongerTried() {
        TransactionLog log = new TransactionLog(new ProxySettings.Replay(true, 1 << 20, 2));
        SessionState state = new SessionState();
        run(log, state, "BEGIN", true, 0);
        log.attemptFailed();
        assertNull(log.refusal(state));
        log.attemptFailed();
        assertTrue(log.refusal(state).contains("replay.attempts"));
        assertEquals("replay.enabled is off", new TransactionLog(new ProxySettings.Replay(false, 1, 1)).refusal(state));
    }

    @Test
    void anExecuteIsKeptWithItsParameterTypes() {
        // COM_STMT_EXECUTE: 0x17, stmt_id<4>, flags<1>, iteration_count<4>, null_bitmap<1>, new_params_bound<1>, values
        ByteBuf p = Unpooled.buffer();
        Packets.writeHeader(p, 1 + 4 + 1 + 4 + 1 + 1 + 4, 0);
        p.writeByte(Command.COM_STMT_EXECUTE).writeIntLE(7).writeByte(0).writeIntLE(1).writeByte(0).writeByte(0)
                .writeIntLE(42);
        byte[] packet = new byte[p.readableBytes()];
        p.readBytes(packet);
        SessionState.PreparedStatement ps = new SessionState.PreparedStatement(1, 7, "SELECT ?", 1, 1);
        assertNull(TransactionLog.withTypes(packet, ps), "types never seen: it cannot be sent again");
        ps.types = new byte[] {3, 0}; // MYSQL_TYPE_LONG
        byte[] with = TransactionLog.withTypes(packet, ps);
        assertEquals(packet.length + 2, with.length);
        assertEquals(Packets.payloadLength(Unpooled.wrappedBuffer(with), 0), with.length - Packets.HEADER_SIZE);
        assertEquals(1, with[Packets.HEADER_SIZE + 11], "new_params_bound set");
        assertArrayEquals(new byte[] {3, 0, 42, 0, 0, 0}, java.util.Arrays.copyOfRange(with, with.length - 6, with.length));
        assertArrayEquals(with, TransactionLog.withTypes(with, ps), "already with types: as it is");
    }

    @Test
    void theDigestSeesRowsAffectedRowsAndErrorsButNotTheServersOwnFields() {
        ResponseDigest a = new ResponseDigest();
        ResponseDigest b = new ResponseDigest();
        a.begin(true);
        b.begin(true);
        // OK: 0x00, affected 1, insert id 5, status, warnings: status and warnings differ, the digest does not
        a.packet(PacketKind.OK, Unpooled.wrappedBuffer(new byte[] {0, 1, 5, 2, 0, 0, 0}), 0, 7);
        b.packet(PacketKind.OK, Unpooled.wrappedBuffer(new byte[] {0, 1, 5, 3, 0x40, 1, 0}), 0, 7);
        assertEquals(a.value(), b.value());
        ResponseDigest c = new ResponseDigest();
        c.begin(true);
        c.packet(PacketKind.OK, Unpooled.wrappedBuffer(new byte[] {0, 2, 5, 2, 0, 0, 0}), 0, 7);
        assertNotEquals(a.value(), c.value(), "affected rows differ");
        ResponseDigest r1 = new ResponseDigest();
        ResponseDigest r2 = new ResponseDigest();
        r1.begin(true);
        r2.begin(true);
        r1.packet(PacketKind.ROW, Unpooled.wrappedBuffer(new byte[] {1, '0'}), 0, 2);
        r2.packet(PacketKind.ROW, Unpooled.directBuffer().writeBytes(new byte[] {1, '5'}), 0, 2);
        assertNotEquals(r1.value(), r2.value(), "a row that differs");
        ResponseDigest r3 = new ResponseDigest();
        r3.begin(true);
        r3.packet(PacketKind.ROW, Unpooled.directBuffer().writeBytes(new byte[] {1, '0'}), 0, 2);
        assertEquals(r1.value(), r3.value(), "heap or direct, the same bytes hash the same");
        ResponseDigest e1 = new ResponseDigest();
        e1.begin(false);
        e1.packet(PacketKind.ERR, Unpooled.wrappedBuffer(new byte[] {(byte) 0xFF, 0x26, 0x04}), 0, 3);
        assertNotEquals(ResponseDigest.SEED, e1.value());
    }
}
