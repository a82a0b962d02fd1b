package io.baton.admin.console;

import java.util.List;
import java.util.Map;
import java.util.Optional;

/** HELP: the list of commands, or one command's syntax and explanation. */
final class ConsoleHelp {
    private ConsoleHelp() {
    }

    static Reply help(List<String> args, boolean authenticated) {
        if (args.isEmpty()) {
            Table t = new Table("commands", null).column("COMMAND", "syntax").column("WHAT IT DOES", "summary");
            for (CommandCatalog.Spec s : CommandCatalog.ALL) {
                Map<String, Object> r = t.row();
                r.put("name", s.name());
                r.put("syntax", s.syntax());
                r.put("summary", s.summary());
                r.put("beforeAuth", s.beforeAuth());
            }
            Reply reply = Reply.ok(CommandCatalog.ALL.size() + " commands; HELP <command> explains one").table(t)
                    .line("Keywords are case-insensitive. Every command ends with a line OK or ERROR <message>;"
                            + " FORMAT JSON answers with one JSON object per command instead.");
            if (!authenticated) {
                reply.line("Not logged in: AUTH <password> first (before AUTH only AUTH, HELP and QUIT work).");
            }
            return reply;
        }
        Optional<CommandCatalog.Spec> spec = CommandCatalog.find(args);
        if (spec.isEmpty() || spec.get().words() < args.size()) {
            List<String> close = CommandCatalog.closest(args, true);
            return Reply.error("no command '" + String.join(" ", args) + "'"
                    + (close.isEmpty() ? "" : "; did you mean " + String.join(" or ", close) + "?")
                    + " HELP alone lists the commands");
        }
        CommandCatalog.Spec s = spec.get();
        return Reply.ok(s.name()).line(s.syntax()).line(wrap(s.help(), 96))
                .data("name", s.name()).data("syntax", s.syntax()).data("summary", s.summary()).data("help", s.help())
                .data("beforeAuth", s.beforeAuth());
    }

    /** Wraps text at spaces to lines of at most {@code width} characters (as one multi-line string). */
    static String wrap(String text, int width) {
        StringBuilder sb = new StringBuilder();
        int lineLength = 0;
        for (String word : text.split(" ")) {
            if (lineLength > 0 && lineLength + 1 + word.length() > width) {
                sb.append('\n');
                lineLength = 0;
            } else if (lineLength > 0) {
                sb.append(' ');
                lineLength++;
            }
            sb.append(word);
            lineLength += word.length();
        }
        return sb.toString();
    }
}
