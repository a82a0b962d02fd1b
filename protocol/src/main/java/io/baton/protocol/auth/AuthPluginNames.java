package io.baton.protocol.auth;

/**
  * Names of the authentication plugins, as they appear in HandshakeV10, HandshakeResponse41 and
  * AuthSwitchRequest. https://dev.mysql.com/doc/dev/mysql-server/latest/page_protocol_connection_phase_authentication_methods.html
  */
public final class AuthPluginNames {

    public static final String MYSQL_NATIVE_PASSWORD = "mysql_native_password";
    public static final String CACHING_SHA2_PASSWORD = "caching_sha2_password";
    public static final String SHA256_PASSWORD = "sha256_password";
    /** Sends the password in clear: only over TLS or a Unix socket. */
    public static final String MYSQL_CLEAR_PASSWORD = "mysql_clear_password";
    public static final String MYSQL_OLD_PASSWORD = "mysql_old_password";

    private AuthPluginNames() {}
}
