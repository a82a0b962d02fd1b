package io.baton.protocol;

import java.util.Objects;

/**
  * A protocol violation: a malformed, truncated, oversized or out-of-order packet, or a packet that
  * the response grammar of the current command does not allow.
  *
  * <p>It is unchecked on purpose: it travels from a decoder through Netty's pipeline to the
  * session's {@code exceptionCaught}, where the proxy sends {@link #error()} to the peer (when the
  * peer is a client) and closes the connection. Every decoder and {@link ResponseFramer} in this
  * module throws only this type for bad input, never {@code IndexOutOfBoundsException} or the like;
  * {@link IllegalArgumentException} is reserved for programming errors of the caller.
  */
public final class ProtocolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient MySqlError error;

    /** An exception that carries {@code error}; its message is the error's message. */
    public ProtocolException(MySqlError error) {
        this(error, error.message());
    }

    /** An exception that carries {@code error}, with a more detailed message for logs. */
    public ProtocolException(MySqlError error, String detail) {
        super(detail);
        this.error = Objects.requireNonNull(error, "error");
    }

    /** A malformed or truncated packet; carries {@link MySqlError#ER_MALFORMED_PACKET}. */
    public static ProtocolException malformed(String detail) {
        return new ProtocolException(MySqlError.ER_MALFORMED_PACKET, "Malformed packet: " + detail);
    }

    /** A packet longer than allowed; carries {@link MySqlError#ER_NET_PACKET_TOO_LARGE}. */
    public static ProtocolException tooLarge(long length, long max) {
        return new ProtocolException(
                MySqlError.ER_NET_PACKET_TOO_LARGE,
                "Packet of " + length + " bytes exceeds the limit of " + max + " bytes");
    }

    /** A packet whose sequence id is not the expected one. */
    public static ProtocolException outOfOrder(int expected, int actual) {
        return new ProtocolException(
                MySqlError.ER_NET_PACKETS_OUT_OF_ORDER,
                "Got packets out of order: expected sequence id " + expected + ", got " + actual);
    }

    /** The error the proxy should send to the peer. */
    public MySqlError error() {
        return error;
    }
}
