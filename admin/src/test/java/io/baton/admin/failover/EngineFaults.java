package io.baton.admin.failover;

/** For tests in other packages: a fault that runs as each step of the engine's procedures starts. */
public final class EngineFaults {
    private EngineFaults() {
    }

    /** Runs as a step starts, inside it: what it throws fails the step. */
    @FunctionalInterface
    public interface Fault {
        void before(FailoverReport report, String step) throws Exception;
    }

    public static void inject(FailoverEngine engine, Fault fault) {
        engine.injectFault(fault::before);
    }
}
