package io.baton.sandbox;

import java.nio.file.Path;

/** Renders {@code DIR/baton.yml}: a ready Baton configuration for a sandbox topology. */
public final class ProxyConfigFile {
    private ProxyConfigFile() {
    }

    public static String render(Path dir, TopologyFile t) {
        StringBuilder sb = new StringBuilder();
        sb.append("# Baton configuration for the sandbox topology in ").append(dir).append("\n");
        sb.append("# Written by './baton sandbox up'; run it with: ./baton proxy --config ").append(dir.resolve("baton.yml")).append("\n");
        sb.append("proxy:\n  host: 127.0.0.1\n  port: ").append(t.proxy().port()).append("\n");
        if (t.proxy().readPort() != null && t.proxy().readPort() > 0) {
            sb.append("  readPort: ").append(t.proxy().readPort()).append("\n");
        }
        sb.append("admin:\n  host: 127.0.0.1\n  port: ").append(t.admin().port()).append("\n");
        sb.append("  password: \"").append(t.admin().password()).append("\"\n");
        sb.append("metrics:\n  host: 127.0.0.1\n  port: ").append(t.metrics().port()).append("\n");
        sb.append("servers:\n");
        for (TopologyFile.Server s : t.servers()) {
            sb.append("  - name: ").append(s.name()).append("\n");
            sb.append("    host: ").append(s.host()).append("\n");
            sb.append("    port: ").append(s.port()).append("\n");
            sb.append("    role: ").append(s.role()).append("\n");
        }
        TopologyFile.User mon = t.user("monitor");
        sb.append("monitor:\n  user: ").append(mon.user()).append("\n  password: \"").append(mon.password()).append("\"\n");
        TopologyFile.User repl = t.user("replication");
        sb.append("replication:\n  mode: ").append(t.mode()).append("\n  user: ").append(repl.user())
                .append("\n  password: \"").append(repl.password()).append("\"\n");
        sb.append("users:\n");
        for (String key : new String[] {"app", "app_sha2"}) {
            TopologyFile.User u = t.user(key);
            sb.append("  - user: ").append(u.user()).append("\n    password: \"").append(u.password()).append("\"\n");
        }
        return sb.toString();
    }
}
