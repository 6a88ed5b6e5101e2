package dev.memorymodule.workers.testsupport;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.net.SocketTimeoutException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Timeout(60)
class TcpProxyTest {

    // seconds, as the PostgreSQL driver takes them; short so that a fault shows within a test's patience
    private static final String DRIVER_TIMEOUTS = "&connectTimeout=2&socketTimeout=2&loginTimeout=2";
    private static final Duration FAIL_FAST = Duration.ofSeconds(3);
    private static final Duration TIMEOUT_FIRES = Duration.ofSeconds(6);
    private static final Duration STILL_HANGING = Duration.ofMillis(500);
    // under the driver's 2 s socket timeout: slow is late, never dead
    private static final Duration SLOW_ONE_WAY = Duration.ofMillis(600);

    private static PostgresDatabase database;

    @BeforeAll
    static void createDatabase() {
        database = PostgresDatabase.create();
    }

    @AfterAll
    static void dropDatabase() {
        database.close();
    }

    @Test
    void forwardsJdbcToTheDatabase() throws SQLException {
        try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
             Connection connection = connectThrough(proxy)) {
            assertThat(selectNumber(connection, 42)).isEqualTo(42);
            assertThat(proxy.openConnections()).isEqualTo(1);
        }
    }

    @Test
    void cutFailsOpenAndNewConnectionsFastAndRestoreHeals() throws SQLException {
        try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
             Connection open = connectThrough(proxy)) {
            selectNumber(open, 1);

            proxy.cut();

            long started = System.nanoTime();
            assertThatThrownBy(() -> selectNumber(open, 2)).isInstanceOf(SQLException.class);
            assertThatThrownBy(() -> connectThrough(proxy).close()).isInstanceOf(SQLException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(FAIL_FAST);
            assertThat(proxy.openConnections()).isZero();

            proxy.restore();

            try (Connection healed = connectThrough(proxy)) {
                assertThat(selectNumber(healed, 3)).isEqualTo(3);
            }
        }
    }

    @Test
    void freezeMakesAQueryHangUntilTheSocketTimeout() throws SQLException {
        try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
             Connection connection = connectThrough(proxy)) {
            selectNumber(connection, 1);

            proxy.freeze();

            long started = System.nanoTime();
            assertThatThrownBy(() -> selectNumber(connection, 2))
                    .isInstanceOf(SQLException.class)
                    .hasRootCauseInstanceOf(SocketTimeoutException.class);
            Duration waited = Duration.ofNanos(System.nanoTime() - started);
            assertThat(waited).isBetween(Duration.ofMillis(1500), TIMEOUT_FIRES);
        }
    }

    @Test
    void freezeHoldsNewConnectionsToo() {
        try (TcpProxy proxy = TcpProxy.start(database.host(), database.port())) {
            proxy.freeze();

            long started = System.nanoTime();
            assertThatThrownBy(() -> connectThrough(proxy).close()).isInstanceOf(SQLException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofMillis(1500), TIMEOUT_FIRES);
        }
    }

    @Test
    void restoreAfterFreezeResumesTheHeldQuery() throws Exception {
        try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
             Connection connection = connectThrough(proxy)) {
            selectNumber(connection, 1);
            proxy.freeze();

            CompletableFuture<Integer> held = CompletableFuture.supplyAsync(() -> {
                try {
                    return selectNumber(connection, 7);
                } catch (SQLException e) {
                    throw new IllegalStateException(e);
                }
            });
            TimeUnit.MILLISECONDS.sleep(STILL_HANGING.toMillis());
            assertThat(held).isNotDone();

            proxy.restore();

            await().atMost(FAIL_FAST).until(held::isDone);
            assertThat(held.get()).isEqualTo(7);
        }
    }

    @Test
    void slowDelaysEveryRoundTripWithoutFailingItAndRestoreEndsTheDelay() throws SQLException {
        try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
             Connection connection = connectThrough(proxy)) {
            selectNumber(connection, 1);

            proxy.slow(SLOW_ONE_WAY);

            long started = System.nanoTime();
            assertThat(selectNumber(connection, 2)).isEqualTo(2);
            // the query there and its answer back: two chunks at least, each held for the latency
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(SLOW_ONE_WAY.multipliedBy(2),
                    TIMEOUT_FIRES);

            proxy.restore();

            started = System.nanoTime();
            assertThat(selectNumber(connection, 3)).isEqualTo(3);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isLessThan(SLOW_ONE_WAY);
        }
    }

    private static Connection connectThrough(TcpProxy proxy) throws SQLException {
        return DriverManager.getConnection(database.jdbcUrlVia(proxy.port()) + DRIVER_TIMEOUTS);
    }

    private static int selectNumber(Connection connection, int number) throws SQLException {
        try (Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT " + number)) {
            rows.next();
            return rows.getInt(1);
        }
    }
}
