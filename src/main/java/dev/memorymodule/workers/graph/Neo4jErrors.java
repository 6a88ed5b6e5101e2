package dev.memorymodule.workers.graph;

import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.TransientJobException;
import org.neo4j.driver.exceptions.ClientException;
import org.neo4j.driver.exceptions.Neo4jException;
import org.neo4j.driver.exceptions.SecurityException;
import org.neo4j.driver.exceptions.TransactionTerminatedException;

/**
 * Turns a driver failure into the job failure the worker acts on. By the time one arrives here the driver has
 * already retried what it retries ({@code executeWrite} and {@code executeRead}), for the configured retry time.
 *
 * <ul>
 *   <li>Unreachable server, expired session, transient server state (deadlock, leader switch):
 *       {@link TransientJobException}; the job is redelivered later.</li>
 *   <li>{@link ClientException}: the statement or its data was refused (a constraint, a bad value), and sending the
 *       same job again is refused again: {@link PermanentJobException}. Two client errors are not the job's fault and
 *       are transient instead: refused credentials (the worker's configuration) and a transaction terminated by a
 *       timeout or an administrator.</li>
 *   <li>Anything else ({@code DatabaseException} and other server faults): transient.</li>
 * </ul>
 */
public final class Neo4jErrors {

    private Neo4jErrors() {
    }

    /** The job failure for {@code failure}, which happened while doing {@code action} ("graph write", ...). */
    public static RuntimeException translate(String action, Neo4jException failure) {
        String reason = "Neo4j " + action + " failed: " + failure.code() + ": " + failure.getMessage();
        boolean notTheJobsFault = failure instanceof SecurityException
                || failure instanceof TransactionTerminatedException;
        if (failure instanceof ClientException && !notTheJobsFault) {
            return new PermanentJobException(reason, failure);
        }
        return new TransientJobException(reason, failure);
    }
}
