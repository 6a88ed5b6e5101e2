package dev.memorymodule.workers.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import dev.memorymodule.workers.WorkerMain;

/**
 * A worker in a JVM of its own, so a test can kill it as an operator or the kernel would: SIGKILL, no shutdown
 * hooks, no acks in flight. Configuration goes through environment variables, as in a deployment.
 */
public final class WorkerProcess implements AutoCloseable {

    private final Process process;
    private final Path log;

    private WorkerProcess(Process process, Path log) {
        this.process = process;
        this.log = log;
    }

    /**
     * Starts {@link WorkerMain} with the test's classpath. Each property {@code mm.foo.bar-baz} becomes the
     * environment variable {@code MM_FOO_BAR_BAZ}.
     */
    public static WorkerProcess start(Map<String, String> properties) throws IOException {
        return start(properties, List.of());
    }

    /** {@link #start(Map)} with more JVM options, such as a flight recording. */
    public static WorkerProcess start(Map<String, String> properties, List<String> jvmOptions) throws IOException {
        String classpath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        Path log = Files.createTempFile("mm-worker-", ".log");
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx1g");
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", classpath, WorkerMain.class.getName()));
        ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().put("DJL_OFFLINE", "true");
        properties.forEach((key, value) -> builder.environment().put(environmentName(key), value));
        return new WorkerProcess(builder.start(), log);
    }

    /** The environment variable that overrides a configuration key. */
    public static String environmentName(String key) {
        return key.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    /** Waits until the worker logs that Camel started, or fails with the log's tail. */
    public void awaitStarted(Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("worker exited with " + process.exitValue() + ":\n" + tail());
            }
            if (Files.readString(log).contains("(mm-worker) started")) {
                return;
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("worker did not start within " + timeout + ":\n" + tail());
    }

    /** SIGKILL: the worker gets no chance to ack, nak or clean up. */
    public void kill() throws InterruptedException {
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
    }

    /** SIGTERM: the worker drains as it would on a Kubernetes pod stop. */
    public int terminate(Duration timeout) throws InterruptedException {
        process.destroy();
        if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("worker did not exit within " + timeout);
        }
        return process.exitValue();
    }

    public boolean isAlive() {
        return process.isAlive();
    }

    public long pid() {
        return process.pid();
    }

    /**
     * The most resident memory the worker's JVM has held so far (Linux's {@code VmHWM}), in MiB; -1 where
     * {@code /proc} does not tell.
     */
    public long peakRssMib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid()), "status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
                }
            }
        } catch (IOException | NumberFormatException e) {
            // gone, or not Linux: the figure is simply unknown
        }
        return -1;
    }

    public String tail() throws IOException {
        List<String> lines = Files.readAllLines(log);
        return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()));
    }

    public String logText() throws IOException {
        return Files.readString(log);
    }

    @Override
    public void close() throws Exception {
        if (process.isAlive()) {
            kill();
        }
        Files.deleteIfExists(log);
    }
}
