package io.baton.admin.topology;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.EOFException;
import java.net.ConnectException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** Which failed checks say the server is gone at once (fast checks follow), and which only that it is slow. */
class ServerProbeTest {

    private static SQLException driver(Throwable cause) {
        return new SQLException("Communications link failure", "08S01", cause);
    }

    @Test
    void refusedResetAndClosedAreAbruptATimeoutIsNot() {
        assertTrue(ServerProbe.abrupt(driver(new ConnectException("Connection refused"))));
        assertTrue(ServerProbe.abrupt(driver(new RuntimeException(new EOFException("Can not read response")))));
        assertTrue(ServerProbe.abrupt(driver(new SocketException("Connection reset"))));
        assertFalse(ServerProbe.abrupt(driver(new SocketTimeoutException("Read timed out"))));
        assertFalse(ServerProbe.abrupt(driver(new SocketTimeoutException("connect timed out"))));
        assertFalse(ServerProbe.abrupt(new SQLException("Access denied", "28000", 1045)));
        assertFalse(ServerProbe.abrupt(driver(new SocketException("Broken pipe (timeout)"))));
    }
}
