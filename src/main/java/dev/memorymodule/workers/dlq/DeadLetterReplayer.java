package dev.memorymodule.workers.dlq;

import java.io.IOException;
import java.util.List;
import java.util.regex.Pattern;

import dev.memorymodule.workers.job.DeadLetters;
import dev.memorymodule.workers.streams.Subjects;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;

/**
 * Sends dead-lettered jobs back to the subject they were first published on, byte for byte. The job keeps its
 * idempotency key, so the workers' ledger decides what a replay does: a job whose key completed meanwhile gets a
 * {@code duplicate} event and is not run again; one that failed runs again.
 *
 * <p>Only a subject of a job stream is published on. The subject comes from a header of the dead letter, and anyone
 * who can publish into the dead-letter stream can write that header: a replay must not become a way to put an
 * event, or anything else, where a job never was.
 *
 * <p>The server's de-duplication id is {@code replay:<dead-letter sequence>}, so replaying the same dead letter
 * twice inside the job stream's duplicate window stores it once. The dead letter itself is left in place.
 */
public final class DeadLetterReplayer {

    /** Prefix of the {@code Nats-Msg-Id} of a replayed job. */
    public static final String MSG_ID_PREFIX = "replay:";
    /** Header on a replayed job naming the dead letter it came from, as {@code <stream>:<sequence>}. */
    public static final String HEADER_REPLAY_OF = "Mm-Replay-Of";

    /** A subject a job can be published on: dot-separated tokens, no wildcards, no white space. */
    private static final Pattern PUBLISHABLE = Pattern.compile("[^.*>\\s]+(\\.[^.*>\\s]+)*");
    private static final String DLQ_HEADER_PREFIX = "Mm-Dlq-";
    /** Headers the server reads as instructions; the old ones must not steer the new publish. */
    private static final String SERVER_HEADER_PREFIX = "Nats-";

    private final JetStream jetStream;
    private final String deadLetterStream;
    private final String deadLetterPrefix;
    private final List<String> jobSubjects;

    /**
     * @param deadLetterStream the dead-letter stream, e.g. {@code MM_DLQ}
     * @param deadLetterPrefix its subject prefix, e.g. {@code mm.dlq}: a job is never replayed into it
     * @param jobSubjects      the subjects of the job streams ({@code mm.online.>} ...): a job is replayed only
     *                         on a subject one of them captures
     */
    public DeadLetterReplayer(JetStream jetStream, String deadLetterStream, String deadLetterPrefix,
                              List<String> jobSubjects) {
        this.jetStream = jetStream;
        this.deadLetterStream = deadLetterStream;
        this.deadLetterPrefix = deadLetterPrefix;
        this.jobSubjects = List.copyOf(jobSubjects);
    }

    /** Publishes the job again, or with {@code dryRun} only says where it would go. */
    public Replay replay(DeadLetter letter, boolean dryRun) {
        String subject = letter.sourceSubject().orElse(null);
        String unusable = unusable(subject);
        if (unusable != null) {
            return new Replay(letter, Replay.Status.NOT_REPLAYABLE, subject, null, 0, unusable);
        }
        if (jobSubjects.stream().noneMatch(filter -> Subjects.matches(filter, subject))) {
            return new Replay(letter, Replay.Status.REFUSED, subject, null, 0, "'" + subject + "' in "
                    + DeadLetters.HEADER_SUBJECT + " is not a job subject (" + String.join(", ", jobSubjects)
                    + "); nothing was published and the dead letter stays");
        }
        if (dryRun) {
            return new Replay(letter, Replay.Status.WOULD_REPLAY, subject, null, 0, null);
        }

        PublishOptions options = PublishOptions.builder().messageId(msgId(letter)).build();
        try {
            PublishAck ack = jetStream.publish(subject, headers(letter), letter.data(), options);
            Replay.Status status = ack.isDuplicate() ? Replay.Status.ALREADY_REPLAYED : Replay.Status.REPLAYED;
            return new Replay(letter, status, subject, ack.getStream(), ack.getSeqno(), null);
        } catch (JetStreamApiException e) {
            return new Replay(letter, Replay.Status.FAILED, subject, null, 0, "the server refused it: "
                    + e.getMessage());
        } catch (IOException | RuntimeException e) {
            return new Replay(letter, Replay.Status.FAILED, subject, null, 0, String.valueOf(e.getMessage()));
        }
    }

    /** The server's de-duplication id of a replay of this dead letter. */
    public static String msgId(DeadLetter letter) {
        return MSG_ID_PREFIX + letter.sequence();
    }

    private String unusable(String subject) {
        if (subject == null || subject.isBlank() || "unknown".equals(subject)) {
            return "the dead letter does not name the subject its job came from (no "
                    + DeadLetters.HEADER_SUBJECT + " header)";
        }
        if (!PUBLISHABLE.matcher(subject).matches()) {
            return "'" + subject + "' in " + DeadLetters.HEADER_SUBJECT + " is not a subject a job can be published on";
        }
        if (subject.equals(deadLetterPrefix) || subject.startsWith(deadLetterPrefix + ".")) {
            return "'" + subject + "' is in the dead-letter stream itself";
        }
        return null;
    }

    /**
     * The job's own headers (a reply subject, for one) travel again; the reasons of the old dead letter and the old
     * server instructions do not. The new header says where the job came from.
     */
    private Headers headers(DeadLetter letter) {
        Headers headers = new Headers();
        for (String name : letter.headers().keySet()) {
            if (!name.startsWith(DLQ_HEADER_PREFIX) && !name.startsWith(SERVER_HEADER_PREFIX)
                    && !name.equals(HEADER_REPLAY_OF)) {
                headers.put(name, letter.headers().get(name));
            }
        }
        headers.put(HEADER_REPLAY_OF, deadLetterStream + ":" + letter.sequence());
        return headers;
    }
}
