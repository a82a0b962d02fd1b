package io.baton.sandbox.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a test class one real topology, shared by its tests and torn down after the class (also when
 * it fails, and on JVM exit). Tests receive it as a {@code SandboxTopology} parameter and call
 * {@code resetData()} where they need a clean slate.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(SandboxExtension.class)
public @interface WithSandbox {
    int replicas() default 2;

    /** mysql80, mysql57 or mariadb. */
    String flavor() default "mysql80";

    /** gtid or position. */
    String mode() default "gtid";

    /** Run the servers with performance_schema ON (more memory). */
    boolean performanceSchema() default false;
}
