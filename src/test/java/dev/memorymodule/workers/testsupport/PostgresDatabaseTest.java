package dev.memorymodule.workers.testsupport;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class PostgresDatabaseTest {

    @Test
    void createsAnEmptyDatabaseOfItsOwn() {
        try (PostgresDatabase database = PostgresDatabase.create()) {
            assertThat(database.name()).startsWith(PostgresDatabase.NAME_PREFIX);
            assertThat(database.jdbcUrl()).contains("/" + database.name() + "?").contains("user=" + database.user());
            assertThat(databaseExists(database.name())).isTrue();

            database.update("CREATE TABLE memory (id text PRIMARY KEY, body text NOT NULL)");
            database.update("INSERT INTO memory VALUES (?, ?)", "m1", "remember this");

            assertThat(database.count("SELECT count(*) FROM memory WHERE id = ?", "m1")).isEqualTo(1);
        }
    }

    @Test
    void databasesAreIsolatedFromEachOther() {
        try (PostgresDatabase first = PostgresDatabase.create(); PostgresDatabase second = PostgresDatabase.create()) {
            first.update("CREATE TABLE only_here (id int)");

            assertThat(second.name()).isNotEqualTo(first.name());
            assertThat(second.count("SELECT count(*) FROM pg_tables WHERE tablename = 'only_here'")).isZero();
        }
    }

    @Test
    void closeDropsTheDatabaseEvenWithConnectionsOpen() throws SQLException {
        PostgresDatabase database = PostgresDatabase.create();
        try (Connection forgotten = database.connect()) {
            assertThat(forgotten.isValid(1)).isTrue();

            database.close();

            assertThat(databaseExists(database.name())).isFalse();
            assertThat(forgotten.isValid(1)).isFalse();
        }
    }

    @Test
    void explainsHowToStartAnUnreachableServer() {
        int nobodyListens = FreePorts.pick();
        String adminUrl = "jdbc:postgresql://127.0.0.1:" + nobodyListens + "/postgres?user=postgres";

        assertThatThrownBy(() -> PostgresDatabase.create(adminUrl))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("not reachable")
                .hasMessageContaining("pg_ctlcluster 15 main start");
    }

    private static boolean databaseExists(String name) {
        try (Connection admin = DriverManager.getConnection(PostgresDatabase.configuredAdminUrl());
             PreparedStatement query = admin.prepareStatement("SELECT count(*) FROM pg_database WHERE datname = ?")) {
            query.setString(1, name);
            try (ResultSet rows = query.executeQuery()) {
                rows.next();
                return rows.getLong(1) == 1;
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
