package dev.memorymodule.workers.metrics;

import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A value read from the server no more often than an interval, and never on the scraping thread: a read returns
 * the last known value at once and, when that is older than the interval, asks for a fresh one in the background.
 * So a scrape never waits on NATS, and nothing is asked while nobody scrapes.
 */
final class PendingPoll {

    private static final Logger LOG = LoggerFactory.getLogger(PendingPoll.class);

    private final String name;
    private final Callable<Long> source;
    private final long intervalNanos;
    private final Executor executor;
    private final AtomicBoolean polling = new AtomicBoolean();
    private volatile long nextPollAt = System.nanoTime();
    private volatile double last = Double.NaN;

    /**
     * @param name     what is polled, for the log
     * @param source   reads the value from the server
     * @param interval how old the value may get
     * @param executor where the reads run
     */
    PendingPoll(String name, Callable<Long> source, Duration interval, Executor executor) {
        this.name = name;
        this.source = source;
        this.intervalNanos = interval.toNanos();
        this.executor = executor;
    }

    /** The last value read; NaN before the first read and after a failed one, since a stale backlog misleads. */
    double value() {
        long now = System.nanoTime();
        if (now - nextPollAt >= 0 && polling.compareAndSet(false, true)) {
            nextPollAt = now + intervalNanos;
            try {
                executor.execute(this::poll);
            } catch (RejectedExecutionException e) {
                // the executor is shutting down with the context: no more reads
                polling.set(false);
            }
        }
        return last;
    }

    private void poll() {
        try {
            last = source.call();
        } catch (Exception e) {
            last = Double.NaN;
            LOG.debug("Could not read {}: {}", name, e.toString());
        } finally {
            polling.set(false);
        }
    }
}
