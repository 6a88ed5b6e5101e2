package dev.memorymodule.workers.http;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

import dev.memorymodule.workers.job.JobOutcome;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.MessageInfo;

/**
 * Finds the latest outcome event of a job on the events stream. Events are stored on
 * {@code <prefix>.<outcome>.<job id>}, so the last message of each outcome subject is asked for and the newest
 * wins: one request per outcome, and no consumer is created on the server.
 */
final class JobStatusLookup {

    private static final List<String> OUTCOMES = List.of(JobOutcome.COMPLETED, JobOutcome.FAILED,
            JobOutcome.DEAD_LETTERED, JobOutcome.EXPIRED, JobOutcome.DUPLICATE);
    /** JetStream's error code for "no message found". */
    private static final int NO_MESSAGE = 10037;

    private final Supplier<Connection> connection;
    private final String eventsStream;
    private final String subjectPrefix;

    /**
     * @param connection    the NATS connection to ask through
     * @param eventsStream  name of the events stream, e.g. {@code MM_EVENTS}
     * @param subjectPrefix subject prefix of job events, e.g. {@code mm.events.job}
     */
    JobStatusLookup(Supplier<Connection> connection, String eventsStream, String subjectPrefix) {
        this.connection = connection;
        this.eventsStream = eventsStream;
        this.subjectPrefix = subjectPrefix;
    }

    /** @param jobId a job id that is safe as a subject token (the caller checks) */
    Optional<byte[]> latestEvent(String jobId) throws IOException, JetStreamApiException {
        JetStreamManagement management = connection.get().jetStreamManagement();
        MessageInfo latest = null;
        for (String outcome : OUTCOMES) {
            try {
                MessageInfo info = management.getLastMessage(eventsStream, subjectPrefix + "." + outcome + "." + jobId);
                if (latest == null || info.getSeq() > latest.getSeq()) {
                    latest = info;
                }
            } catch (JetStreamApiException e) {
                if (e.getApiErrorCode() != NO_MESSAGE) {
                    throw e;
                }
            }
        }
        return latest == null ? Optional.empty() : Optional.of(latest.getData());
    }
}
