package io.baton.admin.failover;

/**
 * One named step of an operator procedure ("stop the IO threads", "promote db2"). The procedure is
 * a list of these, run in order; each is logged at INFO with its duration and result and recorded
 * in the {@link FailoverReport}. A step that throws stops the procedure where it is.
 */
public record FailoverStep(String name, Action action) {

    /** What the step does; returns a one-line result for the report. */
    @FunctionalInterface
    public interface Action {
        String run() throws Exception;
    }

    public static FailoverStep step(String name, Action action) {
        return new FailoverStep(name, action);
    }
}
