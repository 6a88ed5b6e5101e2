package dev.memorymodule.workers.testsupport;

import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.Options;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * A nats-server with JetStream that a test starts and owns: its own loopback port, its own store directory in a
 * temporary folder, its own log file. Never the shared server on the default port, so tests can stop, kill and
 * restart it without disturbing anything else on the machine.
 *
 * <pre>{@code
 * try (NatsServer nats = NatsServer.start()) {
 *     Connection connection = Nats.connect(nats.url());
 *     ...
 * }
 * }</pre>
 */
public final class NatsServer implements AutoCloseable {

    public static final String BINARY_ENV = "NATS_SERVER_BIN";
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(30);

    private static final String BINARY_NAME = "nats-server";
    private static final Path DEBIAN_BINARY = Path.of("/usr/sbin", BINARY_NAME);
    private static final String HOST = "127.0.0.1";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(15);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
    private static final int LOG_TAIL_LINES = 40;
    // a free port found by binding port 0 can be taken by another process before the server binds it
    private static final int START_ATTEMPTS = 3;

    private final Path binary;
    private final Path tempDir;
    private final Path storeDir;
    private final Path logFile;
    private final Optional<Path> configFile;
    private final List<String> extraArgs;
    private final Duration startTimeout;
    private final Thread shutdownHook;
    private final UnaryOperator<Options.Builder> probeOptions;
    private int port;
    // volatile, not guarded: the shutdown hook must reach it even while a start holds the lock
    private volatile Process process;

    private NatsServer(Builder builder) throws IOException {
        this.binary = findBinary();
        this.tempDir = Files.createTempDirectory("mm-nats-");
        this.storeDir = tempDir.resolve("store");
        this.logFile = tempDir.resolve("nats-server.log");
        this.configFile = builder.config == null
                ? Optional.empty()
                : Optional.of(Files.writeString(tempDir.resolve("nats-server.conf"), builder.config));
        this.extraArgs = List.copyOf(builder.extraArgs);
        this.startTimeout = builder.startTimeout;
        this.probeOptions = builder.probeOptions;
        // a test that dies without close() must not leave a server running or a store on disk
        this.shutdownHook = new Thread(this::destroyQuietly, "nats-server-cleanup");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts a server with JetStream and no further options. */
    public static NatsServer start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The client URL, {@code nats://127.0.0.1:<port>}. */
    public String url() {
        return "nats://" + HOST + ":" + port;
    }

    public int port() {
        return port;
    }

    /** The JetStream store directory; it outlives {@link #stop()}, {@link #kill()} and {@link #restart()}. */
    public Path storeDir() {
        return storeDir;
    }

    /** Everything the server wrote, across restarts. */
    public Path logFile() {
        return logFile;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Graceful shutdown (SIGTERM): the server flushes its store and closes client connections. */
    public synchronized void stop() {
        if (!isRunning()) {
            return;
        }
        process.destroy();
        if (!awaitExit(STOP_TIMEOUT)) {
            throw new IllegalStateException("nats-server did not stop within " + STOP_TIMEOUT + "\n" + logTail());
        }
    }

    /** Abrupt death (SIGKILL), as in a crash: clients see their connection drop with no goodbye. */
    public synchronized void kill() {
        if (!isRunning()) {
            return;
        }
        process.destroyForcibly();
        if (!awaitExit(KILL_TIMEOUT)) {
            throw new IllegalStateException("nats-server survived SIGKILL for " + KILL_TIMEOUT);
        }
    }

    /**
     * Stops the server if it runs and starts it again on the same port with the same store, so streams, consumers
     * and stored messages survive and reconnecting clients find it where it was.
     */
    public synchronized void restart() {
        stop();
        launch();
        awaitReady();
    }

    /** Stops the server and deletes its store and log. */
    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            destroyQuietly();
            removeShutdownHook();
        }
    }

    @Override
    public String toString() {
        return "NatsServer[" + url() + ", store " + storeDir + "]";
    }

    private void startFresh() {
        for (int attempt = 1; ; attempt++) {
            port = FreePorts.pick();
            launch();
            try {
                awaitReady();
                return;
            } catch (IllegalStateException e) {
                boolean portTaken = logTail().contains("address already in use");
                if (!portTaken || attempt == START_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private void launch() {
        List<String> command = new ArrayList<>(List.of(binary.toString(),
                "-a", HOST, "-p", String.valueOf(port), "-js", "-sd", storeDir.toString()));
        // flags given on the command line override the config file, so the port and store stay ours
        configFile.ifPresent(file -> command.addAll(List.of("-c", file.toString())));
        command.addAll(extraArgs);
        try {
            process = new ProcessBuilder(command)
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run " + String.join(" ", command), e);
        }
    }

    /**
     * The port accepting connections is not enough: JetStream recovers its store after the listener opens, and
     * until then API requests time out. Ready means a client got an answer from the JetStream API.
     */
    private void awaitReady() {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        Exception lastFailure = null;
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("nats-server exited with status " + process.exitValue()
                        + " while starting\n" + logTail());
            }
            try {
                probe();
                return;
            } catch (Exception e) {
                lastFailure = e;
            }
            sleep(POLL_INTERVAL);
        }
        process.destroyForcibly();
        awaitExit(KILL_TIMEOUT);
        throw new IllegalStateException("nats-server on port " + port + " was not ready with JetStream within "
                + startTimeout + " (last probe: " + lastFailure + ")\n" + logTail());
    }

    private void probe() throws Exception {
        // a plain socket first: far cheaper than a client connect while the listener is not open yet
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, port), (int) PROBE_TIMEOUT.toMillis());
        }
        Options.Builder options = Options.builder()
                .server(url())
                .connectionTimeout(PROBE_TIMEOUT)
                .noReconnect();
        try (Connection connection = Nats.connect(probeOptions.apply(options).build())) {
            connection.jetStreamManagement().getAccountStatistics();
        }
    }

    private boolean awaitExit(Duration timeout) {
        try {
            return process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    private String logTail() {
        try {
            List<String> lines = Files.readAllLines(logFile, StandardCharsets.UTF_8);
            List<String> tail = lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size());
            return "--- last lines of " + logFile + " ---\n" + String.join("\n", tail);
        } catch (IOException e) {
            return "(no log at " + logFile + ": " + e + ")";
        }
    }

    // also runs as the shutdown hook, so it must not throw, take the lock or wait long
    private void destroyQuietly() {
        Process running = process;
        if (running != null && running.isAlive()) {
            running.destroyForcibly();
            try {
                running.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        TempFiles.deleteQuietly(tempDir);
    }

    private void removeShutdownHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down and the hook does the same cleanup: nothing to undo
        }
    }

    private static Path findBinary() {
        String fromEnv = System.getenv(BINARY_ENV);
        if (fromEnv != null && !fromEnv.isBlank()) {
            Path path = Path.of(fromEnv);
            if (!Files.isExecutable(path)) {
                throw new IllegalStateException(BINARY_ENV + "=" + fromEnv + " is not an executable file");
            }
            return path;
        }
        String pathVariable = Optional.ofNullable(System.getenv("PATH")).orElse("");
        Stream<Path> onPath = Arrays.stream(pathVariable.split(java.io.File.pathSeparator))
                .filter(dir -> !dir.isEmpty())
                .map(dir -> Path.of(dir, BINARY_NAME));
        // /usr/sbin is not on the PATH of unprivileged users, yet that is where the Debian package puts it
        return Stream.concat(onPath, Stream.of(DEBIAN_BINARY))
                .filter(Files::isExecutable)
                .findFirst()
                .orElseThrow(() -> new IllegalStateException("nats-server not found (looked at $" + BINARY_ENV
                        + ", the PATH and " + DEBIAN_BINARY + "); install it with `apt-get install nats-server`"
                        + " or point " + BINARY_ENV + " at the binary"));
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for nats-server", e);
        }
    }

    /** Options for a server; each {@link #start()} makes a new, independent one. */
    public static final class Builder {

        private final List<String> extraArgs = new ArrayList<>();
        private String config;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private UnaryOperator<Options.Builder> probeOptions = UnaryOperator.identity();

        private Builder() {
        }

        /** Command-line arguments after the ones this class sets (host, port, JetStream, store, config). */
        public Builder extraArgs(String... args) {
            extraArgs.addAll(List.of(args));
            return this;
        }

        /**
         * Text of a server config file (accounts, nkeys users, limits). Host, port and store directory always come
         * from this class: they are passed as flags, which take precedence over the file.
         */
        public Builder config(String configText) {
            this.config = configText;
            return this;
        }

        /**
         * How the readiness probe connects, for a server that demands authentication (a config with users or
         * nkeys): the probe needs an account with JetStream to see that the server is ready.
         */
        public Builder probeOptions(UnaryOperator<Options.Builder> customizer) {
            this.probeOptions = customizer;
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        public NatsServer start() {
            NatsServer server;
            try {
                server = new NatsServer(this);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare a nats-server directory", e);
            }
            try {
                server.startFresh();
                return server;
            } catch (RuntimeException e) {
                server.close();
                throw e;
            }
        }
    }
}
