package io.baton.admin.failover;

/** A step could not do its job; the message says why, in the operator's terms. */
public class StepFailedException extends Exception {
    private static final long serialVersionUID = 1L;

    public StepFailedException(String message) {
        super(message);
    }

    public StepFailedException(String message, Throwable cause) {
        super(message, cause);
    }
}
