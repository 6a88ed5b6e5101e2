package dev.memorymodule.workers.tools;

import dev.memorymodule.workers.testsupport.Neo4jServer;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Iterator;

/**
 * Runs a Neo4j 5 server for a local run of the workers where no Neo4j is installed: the test fixture with fixed
 * ports and a home that is kept, so the data survives from one run to the next. Ctrl-C stops it cleanly.
 *
 * <p>The server comes from the neo4j-harness jars, which are a test dependency, hence this class lives with the
 * tests and runs on the test classpath:
 * <pre>
 * mvn -o -q test-compile dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
 * java -cp "target/test-classes:target/classes:$(cat target/test.classpath)" \
 *     dev.memorymodule.workers.tools.LocalNeo4j [--bolt-port 7687] [--http-port 7474] [--home target/neo4j-local]
 * </pre>
 */
public final class LocalNeo4j {

    public static final int DEFAULT_BOLT_PORT = 7687;
    public static final int DEFAULT_HTTP_PORT = 7474;
    public static final Path DEFAULT_HOME = Path.of("target", "neo4j-local");

    private LocalNeo4j() {
    }

    public static void main(String[] args) throws InterruptedException {
        int boltPort = DEFAULT_BOLT_PORT;
        int httpPort = DEFAULT_HTTP_PORT;
        Path home = DEFAULT_HOME;
        for (Iterator<String> arg = Arrays.asList(args).iterator(); arg.hasNext(); ) {
            String name = arg.next();
            if (!arg.hasNext()) {
                throw new IllegalArgumentException(name + " needs a value");
            }
            String value = arg.next();
            switch (name) {
                case "--bolt-port" -> boltPort = Integer.parseInt(value);
                case "--http-port" -> httpPort = Integer.parseInt(value);
                case "--home" -> home = Path.of(value);
                default -> throw new IllegalArgumentException("unknown option " + name
                        + "; known: --bolt-port, --http-port, --home");
            }
        }

        // the server's shutdown hook stops it gracefully when this JVM ends, Ctrl-C included
        Neo4jServer neo4j = Neo4jServer.builder()
                .boltPort(boltPort)
                .httpPort(httpPort)
                .homeDir(home.toAbsolutePath())
                .start();
        System.out.println("Neo4j is up at " + neo4j.url() + " (browser " + neo4j.httpUrl() + ", no authentication)"
                + " after " + neo4j.lastStartTime().toMillis() + " ms; data in " + neo4j.homeDir()
                + "; Ctrl-C stops it");
        Thread.currentThread().join();
    }
}
