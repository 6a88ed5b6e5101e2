package dev.memorymodule.workers.testsupport;

import java.net.URI;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.UUID;

/**
 * A PostgreSQL database that a test creates for itself on the local server and drops when done, so tests never
 * see each other's rows and a test can break its connections without harming anyone else.
 *
 * <p>The server is reached through an admin URL, {@value #ADMIN_URL_ENV} or {@value #DEFAULT_ADMIN_URL}; that
 * user must be allowed to create databases.
 */
public final class PostgresDatabase implements AutoCloseable {

    public static final String ADMIN_URL_ENV = "MM_TEST_PG_ADMIN_URL";
    public static final String DEFAULT_ADMIN_URL = "jdbc:postgresql://127.0.0.1:5432/postgres?user=postgres";
    public static final String NAME_PREFIX = "mm_test_";

    private static final String URL_PREFIX = "jdbc:";
    private static final int DEFAULT_PORT = 5432;
    private static final String DEFAULT_USER = "postgres";
    private static final String LOOPBACK = "127.0.0.1";
    private static final int NAME_RANDOM_CHARS = 16;
    // seconds: an unreachable server must fail the test at once, not after the driver's default of minutes
    private static final String ADMIN_TIMEOUT_SECONDS = "5";
    // SQLSTATE class 08: the server could not be reached at all, as opposed to a refused login or a bad query
    private static final String CONNECTION_EXCEPTION_CLASS = "08";
    private static final String START_HINT = "start it with `pg_ctlcluster 15 main start` (as root; "
            + ".ci/ensure-services installs and starts it), or point " + ADMIN_URL_ENV
            + " at a server where the user may create databases";

    private final String adminUrl;
    private final String host;
    private final int port;
    private final String name;
    private final String query;
    private final String user;
    private final String password;
    private final Thread shutdownHook;
    private boolean dropped;

    private PostgresDatabase(String adminUrl) {
        URI uri = URI.create(adminUrl.substring(URL_PREFIX.length()));
        Map<String, String> parameters = parameters(uri.getRawQuery());
        this.adminUrl = adminUrl;
        this.host = uri.getHost();
        this.port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
        this.name = NAME_PREFIX + UUID.randomUUID().toString().replace("-", "").substring(0, NAME_RANDOM_CHARS);
        this.user = parameters.getOrDefault("user", DEFAULT_USER);
        this.password = parameters.getOrDefault("password", "");
        // the user always goes into the URL, so callers can append options with '&'
        this.query = uri.getRawQuery() == null ? "user=" + user
                : parameters.containsKey("user") ? uri.getRawQuery() : uri.getRawQuery() + "&user=" + user;
        this.shutdownHook = new Thread(this::dropQuietly, "postgres-database-cleanup");
    }

    /** Creates a new, empty database with a unique name. */
    public static PostgresDatabase create() {
        return create(configuredAdminUrl());
    }

    /** Creates a new, empty database on the server that {@code adminUrl} reaches. */
    public static PostgresDatabase create(String adminUrl) {
        if (!adminUrl.startsWith(URL_PREFIX + "postgresql://")) {
            throw new IllegalArgumentException("not a jdbc:postgresql:// URL: " + adminUrl);
        }
        PostgresDatabase database = new PostgresDatabase(adminUrl);
        try (Connection admin = database.connectAdmin(); Statement statement = admin.createStatement()) {
            statement.execute("CREATE DATABASE " + database.name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create database " + database.name + " as " + database.user
                    + ": " + e.getMessage(), e);
        }
        Runtime.getRuntime().addShutdownHook(database.shutdownHook);
        return database;
    }

    /** The admin URL in effect: {@value #ADMIN_URL_ENV} if set, else {@value #DEFAULT_ADMIN_URL}. */
    public static String configuredAdminUrl() {
        String fromEnv = System.getenv(ADMIN_URL_ENV);
        return fromEnv == null || fromEnv.isBlank() ? DEFAULT_ADMIN_URL : fromEnv;
    }

    public String name() {
        return name;
    }

    /** The JDBC URL of this database; it has a query string, so options can be appended with {@code &}. */
    public String jdbcUrl() {
        return url(host, port);
    }

    /**
     * This database reached through another port on the loopback interface, such as a {@link TcpProxy} to
     * {@link #host()}:{@link #port()}.
     */
    public String jdbcUrlVia(int proxyPort) {
        return url(LOOPBACK, proxyPort);
    }

    public String host() {
        return host;
    }

    public int port() {
        return port;
    }

    public String user() {
        return user;
    }

    /** The password from the admin URL; empty where the server trusts local connections. */
    public String password() {
        return password;
    }

    /** A new connection to this database; the caller closes it. */
    public Connection connect() throws SQLException {
        return DriverManager.getConnection(jdbcUrl());
    }

    /** Runs a statement (DDL, insert, update) and returns the number of rows it changed. */
    public int update(String sql, Object... args) {
        try (Connection connection = connect(); PreparedStatement statement = prepare(connection, sql, args)) {
            return statement.executeUpdate();
        } catch (SQLException e) {
            throw new IllegalStateException("failed in " + name + ": " + sql, e);
        }
    }

    /** The number in the first column of the first row of a query, typically {@code SELECT count(*) ...}. */
    public long count(String sql, Object... args) {
        try (Connection connection = connect();
             PreparedStatement statement = prepare(connection, sql, args);
             ResultSet rows = statement.executeQuery()) {
            if (!rows.next()) {
                throw new IllegalStateException("no row from " + sql);
            }
            return rows.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("failed in " + name + ": " + sql, e);
        }
    }

    /** Drops the database, ending any connection still open to it (a pool the test forgot, a frozen proxy). */
    @Override
    public synchronized void close() {
        if (dropped) {
            return;
        }
        drop();
        try {
            Runtime.getRuntime().removeShutdownHook(shutdownHook);
        } catch (IllegalStateException e) {
            // the JVM is already shutting down; the hook finds the database dropped and does nothing
        }
    }

    @Override
    public String toString() {
        return "PostgresDatabase[" + name + " on " + host + ":" + port + "]";
    }

    private void drop() {
        try (Connection admin = connectAdmin(); Statement statement = admin.createStatement()) {
            // FORCE (PostgreSQL 13+) ends the open connections and drops in one step, so a pool cannot reconnect
            // between a separate terminate and the drop
            statement.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            dropped = true;
        } catch (SQLException e) {
            throw new IllegalStateException("cannot drop database " + name + ": " + e.getMessage(), e);
        }
    }

    private synchronized void dropQuietly() {
        if (dropped) {
            return;
        }
        try {
            drop();
        } catch (RuntimeException e) {
            // at JVM exit there is nobody left to tell; a stray mm_test_ database is harmless
        }
    }

    private Connection connectAdmin() throws SQLException {
        Properties timeouts = new Properties();
        timeouts.setProperty("connectTimeout", ADMIN_TIMEOUT_SECONDS);
        timeouts.setProperty("loginTimeout", ADMIN_TIMEOUT_SECONDS);
        try {
            return DriverManager.getConnection(adminUrl, timeouts);
        } catch (SQLException e) {
            String where = host + ":" + port + " as " + user;
            if (e.getSQLState() != null && e.getSQLState().startsWith(CONNECTION_EXCEPTION_CLASS)) {
                throw new SQLException("PostgreSQL is not reachable at " + where + " (" + e.getMessage() + "); "
                        + START_HINT, e.getSQLState(), e);
            }
            throw new SQLException("PostgreSQL at " + where + " refused the admin login (" + e.getMessage()
                    + "); check " + ADMIN_URL_ENV, e.getSQLState(), e);
        }
    }

    private String url(String urlHost, int urlPort) {
        return URL_PREFIX + "postgresql://" + urlHost + ":" + urlPort + "/" + name + "?" + query;
    }

    private static PreparedStatement prepare(Connection connection, String sql, Object... args) throws SQLException {
        PreparedStatement statement = connection.prepareStatement(sql);
        for (int i = 0; i < args.length; i++) {
            statement.setObject(i + 1, args[i]);
        }
        return statement;
    }

    private static Map<String, String> parameters(String rawQuery) {
        Map<String, String> parameters = new LinkedHashMap<>();
        if (rawQuery == null || rawQuery.isEmpty()) {
            return parameters;
        }
        for (String pair : rawQuery.split("&")) {
            int equals = pair.indexOf('=');
            String key = equals < 0 ? pair : pair.substring(0, equals);
            String value = equals < 0 ? "" : pair.substring(equals + 1);
            parameters.put(URLDecoder.decode(key, StandardCharsets.UTF_8),
                    URLDecoder.decode(value, StandardCharsets.UTF_8));
        }
        return parameters;
    }
}
