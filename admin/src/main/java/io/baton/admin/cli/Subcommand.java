package io.baton.admin.cli;

/**
 * A subcommand contributed by a module that depends on admin (registered with ServiceLoader under
 * META-INF/services/io.baton.admin.cli.Subcommand), so {@code ./baton --help} lists it.
 */
public interface Subcommand {
    /** A picocli-annotated command object. */
    Object command();
}
