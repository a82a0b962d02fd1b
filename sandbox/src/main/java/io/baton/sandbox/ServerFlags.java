package io.baton.sandbox;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The mysqld/mariadbd command line of a sandbox server, per flavor and replication mode (TOPOLOGY-FACTS.md section 3). */
final class ServerFlags {
    private ServerFlags() {
    }

    /** Redo-log sizing; the template is initialized with the same so the server never resizes it. */
    static List<String> innodbLogFlags(Distribution dist) {
        return switch (dist.flavor()) {
            case MYSQL80 -> List.of("--innodb-redo-log-capacity=64M");
            case MYSQL57 -> List.of("--innodb-log-file-size=24M");
            case MARIADB -> List.of();
        };
    }

    static List<String> command(Distribution dist, ReplicationMode mode, ServerLayout layout, int port, int serverId,
                                int bufferPoolMb, boolean performanceSchema) {
        List<String> c = new ArrayList<>();
        c.add(dist.mysqld().toString());
        c.add("--no-defaults"); // must be first: nothing from /etc/mysql is read
        c.add("--user=root"); // G2: running as root needs it
        if (dist.basedir() != null) {
            c.add("--basedir=" + dist.basedir());
            c.add("--lc-messages-dir=" + dist.basedir().resolve("share"));
        }
        c.add("--datadir=" + layout.data());
        c.add("--port=" + port);
        c.add("--bind-address=127.0.0.1");
        c.add("--socket=" + layout.socket());
        c.add("--pid-file=" + layout.pidFile());
        c.add("--log-error=" + layout.errorLog());
        c.add("--tmpdir=" + layout.tmp());
        c.add("--server-id=" + serverId);
        c.add("--skip-name-resolve");
        c.add("--report-host=127.0.0.1");
        c.add("--report-port=" + port);
        c.add("--log-bin=binlog");
        c.add("--relay-log=relay-bin");
        c.add("--max-connections=4000");
        c.add("--max-allowed-packet=128M");
        c.add("--local-infile=ON");
        c.add("--innodb-buffer-pool-size=" + bufferPoolMb + "M");
        // Durable against a killed process (the OS keeps the page cache); not against a power cut.
        c.add("--innodb-flush-log-at-trx-commit=2");
        c.add("--sync-binlog=0");
        c.add("--performance-schema=" + (performanceSchema ? "ON" : "OFF"));
        c.addAll(innodbLogFlags(dist));
        boolean gtid = mode == ReplicationMode.GTID;
        switch (dist.flavor()) {
            case MYSQL80 -> {
                c.add("--mysqlx=OFF"); // G4: the X plugin ignores bind-address and collides across instances
                if (gtid) {
                    c.add("--gtid-mode=ON");
                    c.add("--enforce-gtid-consistency=ON");
                }
                c.add("--log-replica-updates=" + (gtid ? "ON" : "OFF"));
            }
            case MYSQL57 -> {
                if (gtid) {
                    c.add("--gtid-mode=ON");
                    c.add("--enforce-gtid-consistency=ON");
                }
                c.add("--log-slave-updates=" + (gtid ? "ON" : "OFF"));
            }
            case MARIADB -> c.add("--log-slave-updates=" + (gtid ? "ON" : "OFF"));
        }
        return c;
    }

    /** Where one server keeps its files, all absolute (G3: relative paths resolve against basedir). */
    record ServerLayout(Path home) {
        ServerLayout {
            home = home.toAbsolutePath().normalize();
        }

        Path data() {
            return home.resolve("data");
        }

        Path run() {
            return home.resolve("run");
        }

        Path tmp() {
            return run().resolve("tmp");
        }

        Path pidFile() {
            return run().resolve("mysqld.pid");
        }

        Path errorLog() {
            return run().resolve("error.log");
        }

        Path stdout() {
            return run().resolve("stdout.log");
        }

        Path initFile() {
            return run().resolve("init.sql");
        }

        Path record() {
            return home.resolve("server.json");
        }

        /** Unix sockets are limited to 107 bytes: fall back to /tmp for deep folders. */
        Path socket() {
            Path s = run().resolve("mysqld.sock");
            return s.toString().length() < 100 ? s : Path.of("/tmp", "baton-" + Integer.toHexString(home.hashCode()) + ".sock");
        }
    }
}
