package dev.memorymodule.workers.faults;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

import dev.memorymodule.workers.testsupport.OutcomeWatcher;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;

/**
 * Publishes the load at a steady rate from a thread of its own, as a fleet of agents would, so faults land while
 * jobs are still arriving. A publish that fails (NATS restarting) is tried again with the same message id, so the
 * server stores each job message once however often it is sent. Records the stream message each job became.
 */
final class LoadPublisher implements AutoCloseable {

    private static final Duration RETRY_PAUSE = Duration.ofMillis(500);
    private static final Duration GIVE_UP_AFTER = Duration.ofMinutes(3);

    private final List<PlannedJob> plan;
    private final JetStream jetStream;
    private final long nanosPerJob;
    private final AtomicReferenceArray<String> identities;
    private final AtomicInteger published = new AtomicInteger();
    private final AtomicLong retries = new AtomicLong();
    private final Thread thread;
    private volatile Exception failure;
    private volatile boolean stopped;

    LoadPublisher(Connection connection, List<PlannedJob> plan, int jobsPerSecond) throws Exception {
        this.plan = plan;
        this.jetStream = connection.jetStream();
        this.nanosPerJob = 1_000_000_000L / jobsPerSecond;
        this.identities = new AtomicReferenceArray<>(plan.size());
        this.thread = new Thread(this::publishAll, "fault-load-publisher");
        thread.setDaemon(true);
    }

    void start() {
        thread.start();
    }

    /** Waits until every job is published; fails if one could not be. */
    void await(Duration timeout) throws Exception {
        thread.join(timeout.toMillis());
        if (thread.isAlive()) {
            throw new IllegalStateException("publishing did not finish within " + timeout + "; " + published.get()
                    + " of " + plan.size() + " published");
        }
        if (failure != null) {
            throw failure;
        }
    }

    int published() {
        return published.get();
    }

    /** Publishes tried again after a failure. */
    long retries() {
        return retries.get();
    }

    /** {@code <stream>:<sequence>} of the job's message, as events name it; null while unpublished. */
    String identity(PlannedJob job) {
        return identities.get(job.index());
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.join(RETRY_PAUSE.multipliedBy(4).toMillis());
    }

    private void publishAll() {
        long started = System.nanoTime();
        try {
            for (PlannedJob job : plan) {
                long due = started + job.index() * nanosPerJob;
                long wait = due - System.nanoTime();
                if (wait > 0) {
                    Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
                }
                PublishAck ack = publish(job);
                identities.set(job.index(), OutcomeWatcher.identity(ack));
                published.incrementAndGet();
            }
        } catch (Exception e) {
            failure = e;
        }
    }

    private PublishAck publish(PlannedJob job) throws Exception {
        PublishOptions options = PublishOptions.builder().messageId(job.msgId()).build();
        long deadline = System.nanoTime() + GIVE_UP_AFTER.toNanos();
        while (true) {
            try {
                return jetStream.publish(job.subject(), job.payload(), options);
            } catch (Exception e) {
                if (stopped || System.nanoTime() > deadline) {
                    throw new IllegalStateException("job " + job.index() + " could not be published", e);
                }
                retries.incrementAndGet();
                Thread.sleep(RETRY_PAUSE.toMillis());
            }
        }
    }
}
