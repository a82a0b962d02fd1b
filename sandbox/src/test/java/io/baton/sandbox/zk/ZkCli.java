package io.baton.sandbox.zk;

import io.baton.sandbox.SandboxException;
import java.io.PrintWriter;
import java.io.StringWriter;
import picocli.CommandLine;

/**
 * Runs {@code zk ...} in-process with the exit-code contract of {@code BatonCli} (admin module, which
 * the sandbox cannot see): usage errors exit 2, a SandboxException exits 1, each as one line
 * "baton: message" on stderr.
 */
final class ZkCli {
    record Run(int exit, String out, String err) {
    }

    private ZkCli() {
    }

    static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cl = new CommandLine(new ZkCommand());
        cl.setOut(new PrintWriter(out, true));
        cl.setErr(new PrintWriter(err, true));
        cl.setParameterExceptionHandler((ex, a) -> {
            ex.getCommandLine().getErr().println("baton: " + ex.getMessage());
            return 2;
        });
        cl.setExecutionExceptionHandler((ex, c, parsed) -> {
            if (ex instanceof SandboxException) {
                c.getErr().println("baton: " + ex.getMessage());
                return 1;
            }
            throw ex;
        });
        int exit = cl.execute(args);
        return new Run(exit, out.toString(), err.toString());
    }
}
