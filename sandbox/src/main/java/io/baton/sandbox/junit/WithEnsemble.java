package io.baton.sandbox.junit;

import java.lang.annotation.ElementType;
import java.lang.annotation.Inherited;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Gives a test class one real ZooKeeper ensemble, shared by its tests and torn down after the class
 * (also when it fails, and on JVM exit). Tests receive it as an {@code Ensemble} parameter; one that
 * kills or pauses a server restarts or resumes it before it ends, for the tests after it.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@Inherited
@ExtendWith(EnsembleExtension.class)
public @interface WithEnsemble {
    /** Number of servers: odd, 1 to 9. */
    int nodes() default 3;
}
