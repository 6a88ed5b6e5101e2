package dev.memorymodule.workers.store;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import org.flywaydb.core.Flyway;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's PostgreSQL pool. Opening it migrates the schema with Flyway, so every worker runs against the
 * schema its code expects; concurrent workers are safe because Flyway locks its history table.
 */
public final class Database {

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);

    private Database() {
    }

    /**
     * @param url                 JDBC URL
     * @param user                user name
     * @param password            password, may be empty
     * @param maxPoolSize         most connections this worker opens
     * @param connectionTimeoutMs how long a caller waits for a connection before the job fails transiently; short,
     *                            so an unreachable database turns into a quick nak instead of a stuck worker
     */
    public static HikariDataSource open(String url, String user, String password, int maxPoolSize,
                                        long connectionTimeoutMs) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setUsername(user);
        config.setPassword(password);
        config.setMaximumPoolSize(maxPoolSize);
        config.setConnectionTimeout(connectionTimeoutMs);
        config.setValidationTimeout(Math.min(connectionTimeoutMs, 5_000));
        config.setPoolName("mm-postgres");
        // named, not discovered: under camel run the driver sits in a class loader JDBC discovery may not see
        config.setDriverClassName("org.postgresql.Driver");
        // start even when the database is down: jobs fail transiently and are retried until it is back
        config.setInitializationFailTimeout(-1);
        HikariDataSource dataSource = new HikariDataSource(config);
        migrate(dataSource);
        return dataSource;
    }

    public static void migrate(DataSource dataSource) {
        var result = Flyway.configure()
                .dataSource(dataSource)
                .locations("classpath:db/migration")
                .load()
                .migrate();
        LOG.info("Database schema at version {} ({} migration(s) applied)", result.targetSchemaVersion,
                result.migrationsExecuted);
    }
}
