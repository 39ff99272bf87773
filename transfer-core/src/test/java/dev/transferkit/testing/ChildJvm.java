package dev.transferkit.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.fail;

/**
 * A second JVM running a main class from the test class path, with its output collected line by line: the kill and
 * lock tests of every module start, watch and kill their children with it.
 */
public final class ChildJvm implements AutoCloseable {
    private static final String EOF = "\u0000eof";
    private final Process process;
    private final BlockingQueue<String> lines = new LinkedBlockingQueue<>();
    private final List<String> seen = new ArrayList<>();

    private ChildJvm(Process process) {
        this.process = process;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = in.readLine()) != null; ) {
                    lines.add(line);
                }
            } catch (IOException e) {
                lines.add("read error: " + e);
            }
            lines.add(EOF);
        }, "child-jvm-output");
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts {@code main} in a new JVM with 512 MB of heap and this JVM's class path.
     *
     * @param main the class whose {@code main} runs
     * @param args its arguments
     * @return the running child
     * @throws IOException when the JVM cannot be started
     */
    public static ChildJvm start(Class<?> main, String... args) throws IOException {
        return start(System.getProperty("java.class.path"), main.getName(), args);
    }

    /**
     * Starts {@code main} in a new JVM with 512 MB of heap and the given class path, e.g. a module's runtime class path
     * without its test dependencies.
     *
     * @param classPath the class path
     * @param main      the name of the class whose {@code main} runs
     * @param args      its arguments
     * @return the running child
     * @throws IOException when the JVM cannot be started
     */
    public static ChildJvm start(String classPath, String main, String... args) throws IOException {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", classPath, main));
        cmd.addAll(List.of(args));
        return new ChildJvm(new ProcessBuilder(cmd).redirectErrorStream(true).start());
    }

    /**
     * Waits until the child prints exactly {@code wanted}; fails if it ends or 120 s pass first.
     *
     * @param wanted the line
     * @throws InterruptedException when interrupted while waiting
     */
    public void awaitLine(String wanted) throws InterruptedException {
        awaitLine(wanted::equals, "'" + wanted + "'");
    }

    /**
     * Waits until the child prints a line matching {@code wanted} and returns it; fails if it ends or 120 s pass first.
     *
     * @param wanted      the test a line must pass
     * @param description what is awaited, for the failure message
     * @return the line
     * @throws InterruptedException when interrupted while waiting
     */
    public String awaitLine(Predicate<String> wanted, String description) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (true) {
            String line = lines.poll(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            if (line == null || EOF.equals(line)) {
                fail("The child JVM " + (line == null ? "timed out" : "ended") + " before printing " + description
                        + "; its output was: " + seen);
            }
            seen.add(line);
            if (wanted.test(line)) {
                return line;
            }
        }
    }

    /**
     * Stops the child as Ctrl-C does: SIGTERM, which (like SIGINT) runs the JVM's shutdown hooks, unlike {@link #kill}.
     *
     * @return the exit code
     * @throws InterruptedException when interrupted while waiting
     */
    public int terminate() throws InterruptedException {
        process.toHandle().destroy(); // the signal only: Process.destroy() would also close the output we still read
        return waitFor();
    }

    /**
     * Kills the child at once (SIGKILL): no shutdown hook runs.
     *
     * @throws InterruptedException when interrupted while waiting
     */
    public void kill() throws InterruptedException {
        process.destroyForcibly().waitFor();
    }

    /**
     * Waits up to 60 s for the child to end by itself.
     *
     * @return its exit code
     * @throws InterruptedException when interrupted while waiting
     */
    public int waitFor() throws InterruptedException {
        if (!process.waitFor(60, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            fail("The child JVM did not end within 60 s; its output was: " + seen);
        }
        return process.exitValue();
    }

    /** @return every line the child printed so far */
    public List<String> output() {
        List<String> rest = new ArrayList<>();
        lines.drainTo(rest);
        rest.remove(EOF);
        seen.addAll(rest);
        return seen;
    }

    @Override
    public void close() throws InterruptedException {
        if (process.isAlive()) {
            kill();
        }
    }
}
