package io.baton.sandbox;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** File operations the sandbox needs (copy a datadir template, purge a topology, write a JSON file whole). */
public final class Fs {
    /** The mapper of the sandbox's JSON files (topology.json, ensemble.json, server.json): indented for people. */
    public static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private Fs() {
    }

    /** Writes through a temporary file and a rename, so a reader never sees half a file. */
    public static void writeJson(Path target, Object value) {
        try {
            Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
            JSON.writeValue(tmp.toFile(), value);
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new SandboxException("cannot write " + target + ": " + e.getMessage(), e);
        }
    }

    /**
     * The JSON records {@code DIR/<home>/<file>} of each folder whose name matches {@code homes}, in
     * name order; none when DIR does not exist. Each launcher reads only its own folder names, so a
     * MySQL sandbox and a ZooKeeper ensemble can share a DIR without taking the other's records.
     */
    public static <T> List<T> readRecords(Path dir, String homes, String file, Class<T> type) {
        List<T> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> s = Files.list(dir)) {
            for (Path home : s.filter(p -> p.getFileName().toString().matches(homes)).sorted().toList()) {
                Path f = home.resolve(file);
                if (Files.isRegularFile(f)) {
                    try {
                        out.add(JSON.readValue(f.toFile(), type));
                    } catch (IOException e) {
                        throw new SandboxException("cannot read " + f + ": " + e.getMessage(), e);
                    }
                }
            }
        } catch (IOException e) {
            throw new SandboxException("cannot list " + dir + ": " + e.getMessage(), e);
        }
        return out;
    }

    public static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path dir, IOException exc) throws IOException {
                if (exc != null) {
                    throw exc;
                }
                Files.delete(dir);
                return FileVisitResult.CONTINUE;
            }
        });
    }

    static void copyTree(Path from, Path to) throws IOException {
        Files.walkFileTree(from, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
                Files.createDirectories(to.resolve(from.relativize(dir).toString()));
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.copy(file, to.resolve(from.relativize(file).toString()), StandardCopyOption.COPY_ATTRIBUTES,
                        LinkOption.NOFOLLOW_LINKS);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}
