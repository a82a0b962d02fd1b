package io.baton.sandbox;

/** A sandbox failure with a message meant for the operator: what went wrong and what to do. */
public class SandboxException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public SandboxException(String message) {
        super(message);
    }

    public SandboxException(String message, Throwable cause) {
        super(message, cause);
    }
}
