package io.baton.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The binaries of one flavor, extracted once into the cache (MySQL) or found on the system (MariaDB),
 * with the system libraries they need checked before anything starts.
 */
public final class Distribution {
    private static final Pattern VERSION = Pattern.compile("Ver (\\d+\\.\\d+\\.\\d+\\S*)");
    private static final String TARBALL = "mysql-Linux-amd64.tar.gz";
    static final Path MARIADBD = Path.of("/usr/sbin/mariadbd");

    private final Flavor flavor;
    private final Path basedir;
    private final Path mysqld;
    private final String version;

    private Distribution(Flavor flavor, Path basedir, Path mysqld, String version) {
        this.flavor = flavor;
        this.basedir = basedir;
        this.mysqld = mysqld;
        this.version = version;
    }

    public Flavor flavor() {
        return flavor;
    }

    /** The install folder (has bin/ and share/), or null for the system's MariaDB. */
    public Path basedir() {
        return basedir;
    }

    public Path mysqld() {
        return mysqld;
    }

    /** e.g. {@code 8.0.31}, {@code 10.11.19-MariaDB}. */
    public String version() {
        return version;
    }

    /** Cache root: $BATON_CACHE, else ~/.cache/baton. */
    public static Path cacheRoot() {
        String env = System.getenv("BATON_CACHE");
        Path root = env != null && !env.isBlank() ? Path.of(env) : Path.of(System.getProperty("user.home"), ".cache", "baton");
        return root.toAbsolutePath();
    }

    /** Finds (extracting on first use) the binaries of a flavor and checks they can run here. */
    public static Distribution resolve(Flavor flavor) {
        Path mysqld;
        Path basedir;
        if (flavor.isMariaDb()) {
            if (!Files.isExecutable(MARIADBD)) {
                throw new SandboxException("flavor mariadb needs Debian's MariaDB server (" + MARIADBD + " is missing): "
                        + "run 'apt-get install -y mariadb-server' as root (./baton does it for you when run as root)");
            }
            basedir = null;
            mysqld = MARIADBD;
        } else {
            basedir = extract(flavor);
            mysqld = basedir.resolve("bin/mysqld");
        }
        checkLibraries(mysqld);
        String version = readVersion(mysqld);
        return new Distribution(flavor, basedir, mysqld, version);
    }

    private static Path extract(Flavor flavor) {
        Path dist = cacheRoot().resolve("dist").resolve(flavor.id() + "-" + flavor.version);
        if (Files.isExecutable(dist.resolve("bin/mysqld"))) {
            return dist;
        }
        Path jar = mavenArtifact(flavor);
        try {
            Files.createDirectories(dist.getParent());
            try (FileChannel ch = FileChannel.open(dist.getParent().resolve(".lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
                 FileLock ignored = ch.lock()) {
                if (Files.isExecutable(dist.resolve("bin/mysqld"))) {
                    return dist;
                }
                Path tmp = dist.resolveSibling(dist.getFileName() + ".tmp");
                Files.deleteIfExists(tmp);
                Fs.deleteTree(tmp);
                Files.createDirectories(tmp);
                untar(jar, tmp);
                Files.move(tmp, dist);
                return dist;
            }
        } catch (IOException e) {
            throw new SandboxException("could not extract " + flavor.coordinate() + " into " + dist + ": " + e.getMessage(), e);
        }
    }

    private static void untar(Path jar, Path into) throws IOException {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
            ZipEntry entry = zip.getEntry(TARBALL);
            if (entry == null) {
                throw new IOException(jar + " holds no " + TARBALL);
            }
            Process tar = new ProcessBuilder("tar", "xzf", "-", "-C", into.toString())
                    .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            try (InputStream in = zip.getInputStream(entry); OutputStream out = tar.getOutputStream()) {
                in.transferTo(out);
            }
            if (!tar.waitFor(120, TimeUnit.SECONDS) || tar.exitValue() != 0) {
                tar.destroyForcibly();
                throw new IOException("tar failed to unpack " + TARBALL + " from " + jar);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while unpacking " + jar, e);
        }
    }

    /** The artifact jar in the local Maven repository, fetched with 'mvn dependency:get' if missing. */
    static Path mavenArtifact(Flavor flavor) {
        String repo = System.getProperty("maven.repo.local");
        Path root = repo != null ? Path.of(repo) : Path.of(System.getProperty("user.home"), ".m2", "repository");
        Path jar = root.resolve(flavor.groupId.replace('.', '/')).resolve(flavor.artifactId).resolve(flavor.version)
                .resolve(flavor.artifactId + "-" + flavor.version + ".jar");
        if (Files.isRegularFile(jar)) {
            return jar;
        }
        List<String> cmd = List.of("mvn", "-B", "-q", "dependency:get", "-Dartifact=" + flavor.coordinate(), "-Dtransitive=false");
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(15, TimeUnit.MINUTES)) {
                p.destroyForcibly();
            }
        } catch (IOException e) {
            // Reported below with what to run by hand.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!Files.isRegularFile(jar)) {
            throw new SandboxException("the " + flavor + " binaries are not in the local Maven repository and could not be fetched; run: "
                    + String.join(" ", cmd));
        }
        return jar;
    }

    /** Fails with the exact install command when mysqld lacks a shared library (libaio1 on a fresh Debian). */
    static void checkLibraries(Path mysqld) {
        String problem = missingLibraries(mysqld, run(List.of("ldd", mysqld.toString())));
        if (problem != null) {
            throw new SandboxException(problem);
        }
    }

    /** From ldd's output, the one-line message naming the missing libraries and the install command; null if none. */
    static String missingLibraries(Path mysqld, String lddOutput) {
        List<String> missing = new ArrayList<>();
        for (String line : lddOutput.split("\n")) {
            if (line.contains("not found")) {
                missing.add(line.trim().split("\\s+")[0]);
            }
        }
        if (!missing.isEmpty()) {
            List<String> packages = new ArrayList<>();
            for (String lib : missing) {
                if (lib.startsWith("libaio")) {
                    packages.add("libaio1");
                } else if (lib.startsWith("libnuma")) {
                    packages.add("libnuma1");
                } else if (lib.startsWith("libcrypt.so")) {
                    packages.add("libcrypt1");
                } else {
                    packages.add("<the package providing " + lib + ">");
                }
            }
            return mysqld + " cannot run: missing " + String.join(", ", missing)
                    + "; install with: apt-get install -y " + String.join(" ", packages.stream().distinct().toList());
        }
        return null;
    }

    private static String readVersion(Path mysqld) {
        String out = run(List.of(mysqld.toString(), "--no-defaults", "--version"));
        Matcher m = VERSION.matcher(out);
        if (!m.find()) {
            throw new SandboxException("could not read the version of " + mysqld + ": " + out.strip());
        }
        return m.group(1);
    }

    static String run(List<String> cmd) {
        try {
            Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new SandboxException("timed out: " + String.join(" ", cmd));
            }
            return new String(out, java.nio.charset.StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new SandboxException("interrupted: " + String.join(" ", cmd));
        }
    }
}
