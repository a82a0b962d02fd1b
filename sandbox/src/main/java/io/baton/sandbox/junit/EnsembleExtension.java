package io.baton.sandbox.junit;

import io.baton.sandbox.Fs;
import io.baton.sandbox.SandboxException;
import io.baton.sandbox.zk.Ensemble;
import io.baton.sandbox.zk.EnsembleOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/** Starts the ensemble a {@link WithEnsemble} class asks for, in {@code target/zk/<class>}; see there. */
public final class EnsembleExtension implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(EnsembleExtension.class);

    @Override
    public void beforeAll(ExtensionContext ctx) {
        Class<?> cls = ctx.getRequiredTestClass();
        WithEnsemble spec = AnnotationSupport.findAnnotation(cls, WithEnsemble.class)
                .orElseThrow(() -> new IllegalStateException(cls + " is not annotated with @WithEnsemble"));
        Path dir = Path.of("target", "zk", cls.getSimpleName()).toAbsolutePath();
        if (Files.isDirectory(dir)) {
            clear(dir); // left by an earlier run that was killed
        }
        Ensemble e = Ensemble.up(EnsembleOptions.defaults(dir).withNodes(spec.nodes()));
        Teardown.register(ctx.getStore(NS), "ensemble", e);
    }

    /** Stops what the PIDs recorded there name, then deletes the folder (it is this extension's own). */
    private static void clear(Path dir) {
        try {
            Ensemble.down(dir, true);
        } catch (SandboxException noEnsemble) {
            // nothing recorded, so nothing runs
        }
        try {
            Fs.deleteTree(dir);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot clear " + dir, e);
        }
    }

    @Override
    public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
        return pc.getParameter().getType() == Ensemble.class;
    }

    @Override
    public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
        return ec.getStore(NS).get("ensemble", Ensemble.class);
    }
}
