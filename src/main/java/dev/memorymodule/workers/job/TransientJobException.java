package dev.memorymodule.workers.job;

import java.time.Duration;
import java.util.Optional;

/**
 * A failure that may pass if the job is tried again later (a store is down, another worker holds the job).
 * The worker gives the message back to JetStream, which redelivers it after a backoff.
 * <p>
 * A failure that knows when it will have passed at the latest (another worker's claim on the job's key runs out
 * then) says so with {@link #clearsWithin()}: the consumer then makes the last delivery no sooner than that, so the
 * job's delivery budget is not spent waiting on somebody else's work.
 */
public class TransientJobException extends RuntimeException {

    private final Duration clearsWithin;

    public TransientJobException(String reason) {
        this(reason, (Duration) null);
    }

    public TransientJobException(String reason, Throwable cause) {
        super(reason, cause);
        this.clearsWithin = null;
    }

    /**
     * @param clearsWithin how long from now the cause lasts at most; null when unknown
     */
    public TransientJobException(String reason, Duration clearsWithin) {
        super(reason);
        this.clearsWithin = clearsWithin;
    }

    /** How long from when it was thrown the cause lasts at most, where that is known. */
    public Optional<Duration> clearsWithin() {
        return Optional.ofNullable(clearsWithin);
    }
}
