package dev.memorymodule.workers.graph;

import org.neo4j.driver.AuthToken;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Config;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * How the worker reaches Neo4j: URL, credentials, database and the driver's time limits. Immutable; build it with
 * {@link #builder(String)}.
 *
 * <p>The retry time bounds how long one write keeps retrying while Neo4j is unreachable before the job is handed
 * back to JetStream as a transient failure; JetStream's redelivery backoff then takes over, so it is kept short.
 */
public final class Neo4jOptions {

    /** Neo4j's default database. */
    public static final String DEFAULT_DATABASE = "neo4j";
    public static final Duration DEFAULT_MAX_RETRY_TIME = Duration.ofSeconds(5);
    public static final Duration DEFAULT_CONNECTION_TIMEOUT = Duration.ofSeconds(5);
    public static final int DEFAULT_MAX_CONNECTION_POOL_SIZE = 50;

    private final String url;
    private final String username;
    private final String password;
    private final String database;
    private final Duration maxRetryTime;
    private final Duration connectionTimeout;
    private final int maxConnectionPoolSize;

    private Neo4jOptions(Builder builder) {
        this.url = builder.url;
        this.username = builder.username;
        this.password = builder.password;
        this.database = builder.database;
        this.maxRetryTime = builder.maxRetryTime;
        this.connectionTimeout = builder.connectionTimeout;
        this.maxConnectionPoolSize = builder.maxConnectionPoolSize;
    }

    /** Options for a server at {@code url}, such as {@code neo4j://graph:7687} or {@code bolt://127.0.0.1:7687}. */
    public static Builder builder(String url) {
        return new Builder(url);
    }

    public String url() {
        return url;
    }

    public String database() {
        return database;
    }

    public Duration maxRetryTime() {
        return maxRetryTime;
    }

    /** A new driver; the caller closes it. Connecting is lazy: an unreachable server fails the first query. */
    public Driver openDriver() {
        AuthToken auth = username == null ? AuthTokens.none() : AuthTokens.basic(username, password);
        Config config = Config.builder()
                .withMaxTransactionRetryTime(maxRetryTime.toMillis(), TimeUnit.MILLISECONDS)
                .withConnectionTimeout(connectionTimeout.toMillis(), TimeUnit.MILLISECONDS)
                // acquiring a pooled connection waits no longer than opening one would
                .withConnectionAcquisitionTimeout(connectionTimeout.toMillis(), TimeUnit.MILLISECONDS)
                .withMaxConnectionPoolSize(maxConnectionPoolSize)
                .build();
        return GraphDatabase.driver(url, auth, config);
    }

    @Override
    public String toString() {
        // no password: this string ends up in logs
        return "Neo4jOptions[url=" + url + ", user=" + username + ", database=" + database + "]";
    }

    /** Collects the options; every one but the URL has a default. */
    public static final class Builder {

        private final String url;
        private String username;
        private String password;
        private String database = DEFAULT_DATABASE;
        private Duration maxRetryTime = DEFAULT_MAX_RETRY_TIME;
        private Duration connectionTimeout = DEFAULT_CONNECTION_TIMEOUT;
        private int maxConnectionPoolSize = DEFAULT_MAX_CONNECTION_POOL_SIZE;

        private Builder(String url) {
            this.url = Objects.requireNonNull(url, "url");
        }

        /** Basic authentication; without it the driver sends none, for a server with authentication off. */
        public Builder basicAuth(String username, String password) {
            this.username = Objects.requireNonNull(username, "username");
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        public Builder database(String database) {
            this.database = Objects.requireNonNull(database, "database");
            return this;
        }

        /** How long a transaction is retried on transient failures (unreachable server, deadlock, leader switch). */
        public Builder maxRetryTime(Duration time) {
            this.maxRetryTime = Objects.requireNonNull(time, "maxRetryTime");
            return this;
        }

        /** How long opening a connection, or waiting for a pooled one, may take. */
        public Builder connectionTimeout(Duration timeout) {
            this.connectionTimeout = Objects.requireNonNull(timeout, "connectionTimeout");
            return this;
        }

        public Builder maxConnectionPoolSize(int size) {
            if (size < 1) {
                throw new IllegalArgumentException("maxConnectionPoolSize must be at least 1: " + size);
            }
            this.maxConnectionPoolSize = size;
            return this;
        }

        public Neo4jOptions build() {
            return new Neo4jOptions(this);
        }
    }
}
