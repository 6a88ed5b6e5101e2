package dev.memorymodule.workers.testsupport;

import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Session;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real Neo4j 5 Community server that a test starts and owns, run from the neo4j-harness jars as its own process
 * ({@code org.neo4j.server.CommunityEntryPoint}): loopback Bolt and HTTP ports of its own, authentication off,
 * its home (configuration, data, logs) in a temporary folder. Because it is a separate process, a test can stop or
 * kill it to make Neo4j unreachable in the middle of a job, and start it again on the same ports with the same
 * data.
 *
 * <pre>{@code
 * try (Neo4jServer neo4j = Neo4jServer.start();
 *      Driver driver = GraphDatabase.driver(neo4j.url(), AuthTokens.none())) {
 *     ...
 * }
 * }</pre>
 *
 * <p>The child runs on this JVM's classpath, which holds the harness and all of its dependencies in a test run, and
 * on the {@code java} that runs this JVM.
 */
public final class Neo4jServer implements AutoCloseable {

    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(120);
    public static final String DEFAULT_HEAP = "512m";

    private static final String ENTRY_POINT = "org.neo4j.server.CommunityEntryPoint";
    private static final String HOST = "127.0.0.1";
    private static final String CONFIG_FILE = "neo4j.conf";
    private static final String LOG_FILE = "neo4j-console.log";
    // small: the test databases hold a few thousand nodes, and several test JVMs may share one machine
    private static final String PAGE_CACHE = "64m";
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(60);
    private static final Duration KILL_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration POLL_INTERVAL = Duration.ofMillis(200);
    private static final int LOG_TAIL_LINES = 40;
    // a free port found by binding port 0 can be taken by another process before the server binds it
    private static final int START_ATTEMPTS = 3;
    private static final String PORT_TAKEN = "already in use";

    private final Path homeDir;
    private final boolean ownsHome;
    private final Path logFile;
    private final String heap;
    private final Duration startTimeout;
    private final int requestedBoltPort;
    private final int requestedHttpPort;
    private final Thread shutdownHook;
    private int boltPort;
    private int httpPort;
    private Duration lastStartTime = Duration.ZERO;
    private long launchedAt;
    // volatile, not guarded: the shutdown hook must reach it even while a start holds the lock
    private volatile Process process;

    private Neo4jServer(Builder builder) throws IOException {
        this.ownsHome = builder.homeDir == null;
        this.homeDir = ownsHome ? Files.createTempDirectory("mm-neo4j-") : Files.createDirectories(builder.homeDir);
        this.logFile = homeDir.resolve(LOG_FILE);
        this.heap = builder.heap;
        this.startTimeout = builder.startTimeout;
        this.requestedBoltPort = builder.boltPort;
        this.requestedHttpPort = builder.httpPort;
        // a run that dies without close() must not leave a server running or a temporary home on disk
        this.shutdownHook = new Thread(this::shutDownQuietly, "neo4j-server-cleanup");
        Runtime.getRuntime().addShutdownHook(shutdownHook);
    }

    /** Starts a server on free ports with a fresh, empty database. */
    public static Neo4jServer start() {
        return builder().start();
    }

    public static Builder builder() {
        return new Builder();
    }

    /** The Bolt URL a driver connects to, {@code bolt://127.0.0.1:<port>}. */
    public String url() {
        return "bolt://" + HOST + ":" + boltPort;
    }

    /** The HTTP endpoint (Neo4j Browser and the query API). */
    public String httpUrl() {
        return "http://" + HOST + ":" + httpPort;
    }

    public int boltPort() {
        return boltPort;
    }

    /** Configuration, data and logs; the data outlives {@link #stop()}, {@link #kill()} and {@link #restart()}. */
    public Path homeDir() {
        return homeDir;
    }

    /** Everything the server wrote to its console, across restarts. */
    public Path logFile() {
        return logFile;
    }

    /** From launching the process to the first answered query, for the most recent start. */
    public synchronized Duration lastStartTime() {
        return lastStartTime;
    }

    public synchronized boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Graceful shutdown (SIGTERM): Neo4j checkpoints its store and closes client connections. */
    public synchronized void stop() {
        if (!isRunning()) {
            return;
        }
        process.destroy();
        if (!awaitExit(STOP_TIMEOUT)) {
            throw new IllegalStateException("Neo4j did not stop within " + STOP_TIMEOUT + "\n" + logTail());
        }
    }

    /** Abrupt death (SIGKILL), as in a crash: clients see their connections drop with no goodbye. */
    public synchronized void kill() {
        if (!isRunning()) {
            return;
        }
        process.destroyForcibly();
        if (!awaitExit(KILL_TIMEOUT)) {
            throw new IllegalStateException("Neo4j survived SIGKILL for " + KILL_TIMEOUT);
        }
    }

    /**
     * Starts a stopped or killed server again on the same ports with the same data, so drivers that were connected
     * find it where it was. Does nothing when it runs.
     */
    public synchronized void resume() {
        if (isRunning()) {
            return;
        }
        launch();
        awaitReady();
    }

    /** Stops the server if it runs and starts it again on the same ports with the same data. */
    public synchronized void restart() {
        stop();
        resume();
    }

    /** Stops the server; a temporary home is deleted, a home given to the builder is kept. */
    @Override
    public synchronized void close() {
        try {
            stop();
        } finally {
            shutDownQuietly();
            removeShutdownHook();
        }
    }

    @Override
    public String toString() {
        return "Neo4jServer[" + url() + ", home " + homeDir + "]";
    }

    private void startFresh() {
        for (int attempt = 1; ; attempt++) {
            boltPort = requestedBoltPort > 0 ? requestedBoltPort : FreePorts.pick();
            httpPort = requestedHttpPort > 0 ? requestedHttpPort : FreePorts.pick();
            launch();
            try {
                awaitReady();
                return;
            } catch (IllegalStateException e) {
                boolean portsPicked = requestedBoltPort <= 0 || requestedHttpPort <= 0;
                boolean portTaken = logTail().contains(PORT_TAKEN);
                if (!portsPicked || !portTaken || attempt == START_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    private void launch() {
        Path configDir = homeDir.resolve("conf");
        String javaBinary = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = List.of(javaBinary, "-Xms" + heap, "-Xmx" + heap,
                // one GC thread and the quick JIT only: a third less CPU to start, which a test database never misses
                "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                "-cp", System.getProperty("java.class.path"),
                ENTRY_POINT, "--home-dir=" + homeDir, "--config-dir=" + configDir, "--console-mode");
        try {
            Files.createDirectories(configDir);
            Files.writeString(configDir.resolve(CONFIG_FILE), configuration(), StandardCharsets.UTF_8);
            launchedAt = System.nanoTime();
            process = new ProcessBuilder(command)
                    .directory(homeDir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()))
                    .start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot run Neo4j from " + homeDir, e);
        }
    }

    private String configuration() {
        String bolt = HOST + ":" + boltPort;
        String http = HOST + ":" + httpPort;
        return String.join("\n",
                "server.default_listen_address=" + HOST,
                "server.default_advertised_address=" + HOST,
                "server.bolt.listen_address=" + bolt,
                "server.bolt.advertised_address=" + bolt,
                "server.http.listen_address=" + http,
                "server.http.advertised_address=" + http,
                "server.https.enabled=false",
                "dbms.security.auth_enabled=false",
                // test data is never reported anywhere
                "dbms.usage_report.enabled=false",
                "server.memory.pagecache.size=" + PAGE_CACHE,
                "");
    }

    /**
     * The Bolt port opens before the default database is available; ready means a driver got an answer to a query
     * on it.
     */
    private void awaitReady() {
        long deadline = System.nanoTime() + startTimeout.toNanos();
        Exception lastFailure = null;
        Config config = Config.builder()
                .withConnectionTimeout(PROBE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .build();
        try (Driver driver = GraphDatabase.driver(url(), AuthTokens.none(), config)) {
            while (System.nanoTime() < deadline) {
                if (!process.isAlive()) {
                    throw new IllegalStateException("Neo4j exited with status " + process.exitValue()
                            + " while starting\n" + logTail());
                }
                try {
                    probe(driver);
                    lastStartTime = Duration.ofNanos(System.nanoTime() - launchedAt);
                    return;
                } catch (Exception e) {
                    lastFailure = e;
                }
                sleep(POLL_INTERVAL);
            }
        }
        process.destroyForcibly();
        awaitExit(KILL_TIMEOUT);
        throw new IllegalStateException("Neo4j on " + url() + " did not answer within " + startTimeout
                + " (last probe: " + lastFailure + ")\n" + logTail());
    }

    private void probe(Driver driver) throws IOException {
        // a plain socket first: far cheaper than a Bolt handshake while the listener is not open yet
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(HOST, boltPort), (int) PROBE_TIMEOUT.toMillis());
        }
        try (Session session = driver.session()) {
            session.run("RETURN 1").consume();
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

    /*
     * Also runs as the shutdown hook, so it must not throw or take the lock. It asks for a graceful stop first:
     * a home that is kept (a local run stopped with Ctrl-C) must not be left needing recovery.
     */
    private void shutDownQuietly() {
        Process running = process;
        if (running != null && running.isAlive()) {
            running.destroy();
            try {
                if (!running.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                    running.destroyForcibly();
                    running.waitFor(KILL_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        if (ownsHome) {
            TempFiles.deleteQuietly(homeDir);
        }
    }

    private void removeShutdownHook() {
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down and the hook does the same cleanup: nothing to undo
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while waiting for Neo4j", e);
        }
    }

    /** Options for a server; each {@link #start()} makes a new, independent one. */
    public static final class Builder {

        private Path homeDir;
        private int boltPort;
        private int httpPort;
        private String heap = DEFAULT_HEAP;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;

        private Builder() {
        }

        /** A home to use and keep, so the data survives this server; by default a temporary one that close deletes. */
        public Builder homeDir(Path dir) {
            this.homeDir = dir;
            return this;
        }

        /** A fixed Bolt port instead of a free one. */
        public Builder boltPort(int port) {
            this.boltPort = port;
            return this;
        }

        /** A fixed HTTP port instead of a free one. */
        public Builder httpPort(int port) {
            this.httpPort = port;
            return this;
        }

        /** The server JVM's heap, as in {@code -Xmx}: {@code 512m}, {@code 2g}. */
        public Builder heap(String size) {
            this.heap = size;
            return this;
        }

        public Builder startTimeout(Duration timeout) {
            this.startTimeout = timeout;
            return this;
        }

        public Neo4jServer start() {
            Neo4jServer server;
            try {
                server = new Neo4jServer(this);
            } catch (IOException e) {
                throw new UncheckedIOException("cannot prepare a Neo4j home directory", e);
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
