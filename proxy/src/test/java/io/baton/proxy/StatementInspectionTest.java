package io.baton.proxy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class StatementInspectionTest {

    private static boolean prefilter(String sql) {
        ByteBuf b = Unpooled.copiedBuffer(sql, StandardCharsets.UTF_8);
        return StatementHead.mayChangeUnmovableState(b, 0, b.readableBytes());
    }

    @Test
    void thePrefilterPassesEverythingTheInspectionCouldMatch() {
        for (String sql : new String[] {"CREATE TEMPORARY TABLE t (id INT)", "  create temporary table t (id int)",
                "LOCK TABLES t WRITE", "unlock tables", "KILL QUERY 5", "SELECT GET_LOCK('x', 1)",
                "select release_all_locks()", "DO GET_LOCK('a', 0)"}) {
            assertTrue(prefilter(sql), sql);
        }
        for (String sql : new String[] {"SELECT c FROM sbtest1 WHERE id = 5", "INSERT INTO t VALUES (1)",
                "UPDATE t SET v = 1", "", "   ", "SET autocommit = 0", "BEGIN", "COMMIT"}) {
            assertFalse(prefilter(sql), sql);
        }
    }

    @Test
    void inspectionTracksStateThatCannotMove() {
        SessionState s = new SessionState();
        assertNull(s.unmovableReason());
        s.inspect("SELECT GET_LOCK('job', 10)");
        assertEquals("the session holds named locks (GET_LOCK)", s.unmovableReason());
        s.inspect("SELECT RELEASE_ALL_LOCKS()");
        assertNull(s.unmovableReason());
        s.inspect("LOCK TABLES t READ");
        assertEquals("the session holds table locks (LOCK TABLES)", s.unmovableReason());
        s.inspect("UNLOCK TABLES");
        assertNull(s.unmovableReason());
        s.inspect("CREATE TEMPORARY TABLE x (id INT)");
        assertEquals("the session has temporary tables", s.unmovableReason());
        s.reset();
        assertNull(s.unmovableReason(), "COM_RESET_CONNECTION drops temporary tables");
    }
}
