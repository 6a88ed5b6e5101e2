package dev.memorymodule.workers.testsupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import org.neo4j.driver.Session;
import org.neo4j.driver.exceptions.ServiceUnavailableException;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(300)
class Neo4jServerTest {

    // short, so that a query against a stopped server fails quickly instead of retrying for the default 30 s
    private static final Config QUICK = Config.builder()
            .withConnectionTimeout(1, TimeUnit.SECONDS)
            .withMaxTransactionRetryTime(1, TimeUnit.SECONDS)
            .build();

    @Test
    void dataSurvivesStopKillAndRestartOnTheSamePortsAndCloseDeletesIt() {
        Neo4jServer neo4j = Neo4jServer.start();
        Path home = neo4j.homeDir();
        try (Driver driver = GraphDatabase.driver(neo4j.url(), AuthTokens.none(), QUICK)) {
            System.out.println("Neo4j started in " + neo4j.lastStartTime().toMillis() + " ms");
            assertThat(neo4j.url()).isEqualTo("bolt://127.0.0.1:" + neo4j.boltPort());
            write(driver, "before-stop");

            neo4j.stop();

            assertThat(neo4j.isRunning()).isFalse();
            assertThatThrownBy(() -> count(driver)).isInstanceOf(ServiceUnavailableException.class);

            neo4j.resume();
            System.out.println("Neo4j started again in " + neo4j.lastStartTime().toMillis() + " ms");

            assertThat(count(driver)).isEqualTo(1);
            write(driver, "before-kill");

            neo4j.kill();
            neo4j.restart();

            assertThat(count(driver)).isEqualTo(2);
        } finally {
            neo4j.close();
        }

        assertThat(neo4j.isRunning()).isFalse();
        assertThat(Files.exists(home)).isFalse();
    }

    private static void write(Driver driver, String name) {
        try (Session session = driver.session()) {
            session.executeWriteWithoutResult(tx -> tx.run("CREATE (:Probe {name: $name})",
                    Map.of("name", name)));
        }
    }

    private static long count(Driver driver) {
        try (Session session = driver.session()) {
            return session.executeRead(tx -> tx.run("MATCH (p:Probe) RETURN count(p) AS n").single().get("n").asLong());
        }
    }
}
