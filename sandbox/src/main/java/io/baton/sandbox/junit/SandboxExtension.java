package io.baton.sandbox.junit;

import io.baton.sandbox.Flavor;
import io.baton.sandbox.ReplicationMode;
import io.baton.sandbox.Sandbox;
import io.baton.sandbox.SandboxOptions;
import io.baton.sandbox.SandboxTopology;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/** Starts the topology a {@link WithSandbox} class asks for; see there. */
public final class SandboxExtension implements BeforeAllCallback, ParameterResolver {
    private static final ExtensionContext.Namespace NS = ExtensionContext.Namespace.create(SandboxExtension.class);

    @Override
    public void beforeAll(ExtensionContext ctx) {
        Class<?> cls = ctx.getRequiredTestClass();
        WithSandbox spec = AnnotationSupport.findAnnotation(cls, WithSandbox.class)
                .orElseThrow(() -> new IllegalStateException(cls + " is not annotated with @WithSandbox"));
        Path dir = Path.of("target", "sandbox", cls.getSimpleName()).toAbsolutePath();
        if (Files.isDirectory(dir) && Files.exists(dir.resolve("db1"))) {
            Sandbox.down(dir, true); // left by an earlier run that was killed
        }
        SandboxOptions o = SandboxOptions.defaults(dir).withReplicas(spec.replicas())
                .withFlavor(Flavor.parse(spec.flavor())).withMode(ReplicationMode.parse(spec.mode()))
                .withPerformanceSchema(spec.performanceSchema());
        SandboxTopology t = Sandbox.up(o);
        Teardown.register(ctx.getStore(NS), "topology", t);
    }

    @Override
    public boolean supportsParameter(ParameterContext pc, ExtensionContext ec) {
        return pc.getParameter().getType() == SandboxTopology.class;
    }

    @Override
    public Object resolveParameter(ParameterContext pc, ExtensionContext ec) {
        return ec.getStore(NS).get("topology", SandboxTopology.class);
    }
}
