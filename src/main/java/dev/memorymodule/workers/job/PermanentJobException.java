package dev.memorymodule.workers.job;

/**
 * A job that can never succeed as given: retrying it would repeat the same failure. The worker dead-letters it
 * with this exception's message as the reason and terminates the message instead of redelivering it.
 */
public class PermanentJobException extends RuntimeException {

    public PermanentJobException(String reason) {
        super(reason);
    }

    public PermanentJobException(String reason, Throwable cause) {
        super(reason, cause);
    }
}
