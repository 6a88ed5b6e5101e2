package dev.memorymodule.workers.job;

/**
 * A failure that may pass if the job is tried again later (a store is down, another worker holds the job).
 * The worker gives the message back to JetStream, which redelivers it after a backoff.
 */
public class TransientJobException extends RuntimeException {

    public TransientJobException(String reason) {
        super(reason);
    }

    public TransientJobException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
