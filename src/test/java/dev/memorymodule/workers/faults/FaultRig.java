package dev.memorymodule.workers.faults;

import java.nio.file.Path;
import java.time.Duration;

import dev.memorymodule.workers.testsupport.NatsServer;
import dev.memorymodule.workers.testsupport.Neo4jServer;
import dev.memorymodule.workers.testsupport.PostgresDatabase;
import dev.memorymodule.workers.testsupport.TcpProxy;
import dev.memorymodule.workers.vector.QdrantTestDouble;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;

/**
 * The servers of one scenario: a NATS server and a PostgreSQL database of its own, the suite's Neo4j, the Qdrant
 * test double when the workers use Qdrant, and TCP proxies in front of PostgreSQL and Neo4j, through which every
 * worker reaches them, so a scenario can cut or slow the network to a store. The suite reads every store
 * directly, past the proxies.
 */
final class FaultRig implements AutoCloseable {

    private static final Duration RECONNECT_WAIT = Duration.ofMillis(250);

    private final NatsServer nats;
    private final PostgresDatabase database;
    private final TcpProxy postgresProxy;
    private final TcpProxy neo4jProxy;
    private final QdrantTestDouble qdrant;
    private final Connection connection;
    private WorkerFleet fleet;

    private FaultRig(Neo4jServer neo4j, boolean withQdrant) throws Exception {
        this.nats = NatsServer.start();
        this.database = PostgresDatabase.create();
        this.postgresProxy = TcpProxy.start(database.host(), database.port());
        this.neo4jProxy = TcpProxy.start("127.0.0.1", neo4j.boltPort());
        this.qdrant = withQdrant ? QdrantTestDouble.start() : null;
        // the suite's own connection rides out a NATS restart like the workers' do; the lost connection it reports
        // on the way is the fault itself, which the report covers
        this.connection = Nats.connect(Options.builder().server(nats.url()).maxReconnects(-1)
                .reconnectWait(RECONNECT_WAIT).connectionName("fault-suite").errorListener(new ErrorListener() { })
                .build());
    }

    static FaultRig start(Neo4jServer neo4j, boolean withQdrant) throws Exception {
        return new FaultRig(neo4j, withQdrant);
    }

    /** Where the workers find the servers: always through the proxies. */
    void pointAtServers(WorkerSettings settings) {
        settings.set("mm.nats.url", nats.url())
                .set("mm.db.url", database.jdbcUrlVia(postgresProxy.port()))
                .set("mm.db.user", database.user())
                .set("mm.db.password", database.password())
                .set("mm.neo4j.url", "bolt://127.0.0.1:" + neo4jProxy.port());
        if (qdrant != null) {
            settings.set("mm.vector.backend", "qdrant")
                    .set("mm.qdrant.host", qdrant.host())
                    .set("mm.qdrant.port", Integer.toString(qdrant.port()));
        }
    }

    WorkerFleet startFleet(WorkerSettings settings, String prefix, int size, Path logDir) throws Exception {
        fleet = new WorkerFleet(settings.overrides(), prefix, size, logDir);
        fleet.start();
        return fleet;
    }

    NatsServer nats() {
        return nats;
    }

    PostgresDatabase database() {
        return database;
    }

    TcpProxy postgresProxy() {
        return postgresProxy;
    }

    TcpProxy neo4jProxy() {
        return neo4jProxy;
    }

    /** The Qdrant test double, or null when the workers keep their vectors in Neo4j. */
    QdrantTestDouble qdrant() {
        return qdrant;
    }

    Connection connection() {
        return connection;
    }

    WorkerFleet fleet() {
        return fleet;
    }

    @Override
    public void close() throws Exception {
        try {
            if (fleet != null) {
                fleet.close();
            }
        } finally {
            connection.close();
            postgresProxy.close();
            neo4jProxy.close();
            if (qdrant != null) {
                qdrant.close();
            }
            nats.close();
            database.close();
        }
    }
}
