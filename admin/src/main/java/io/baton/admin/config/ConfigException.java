package io.baton.admin.config;

/** A configuration error, with the file, the key and what would be accepted. */
public class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public ConfigException(String message) {
        super(message);
    }
}
