package dev.memorymodule.workers.http;

/**
 * NATS was not connected when a job was about to be published, so it was not: the client hears a 503 that it can
 * take at its word, and no copy of the job is left behind to be sent once the connection is back.
 */
public class NatsUnreachableException extends RuntimeException {

    public NatsUnreachableException(String message) {
        super(message);
    }
}
