package dev.memorymodule.workers.dlq;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import com.github.f4b6a3.ulid.UlidCreator;
import dev.memorymodule.workers.job.DeadLetters;
import dev.memorymodule.workers.streams.Subjects;
import dev.memorymodule.workers.testsupport.MmCli;
import dev.memorymodule.workers.testsupport.StreamsServer;
import io.nats.client.Connection;
import io.nats.client.impl.Headers;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code mm dlq} over a real server with dead letters published by hand, as anyone allowed into the dead-letter
 * stream could: a replay goes to a job stream or nowhere, and {@code --since} reads its units or refuses them.
 * No worker runs, so a replayed job stays in its stream to be counted.
 */
class DeadLetterCommandsTest {

    private StreamsServer server;
    private Connection connection;
    private MmCli mm;

    @BeforeEach
    void start() throws Exception {
        server = StreamsServer.start();
        connection = server.connection();
        mm = server.mm();
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
    }

    @Test
    void aDeadLetterNamingAnEventsSubjectIsRefusedAndStays() throws Exception {
        String jobId = UlidCreator.getMonotonicUlid().toString();
        String eventsSubject = "mm.events.job.completed." + jobId;
        long forged = deadLetter(eventsSubject, "{\"event\":\"completed\",\"job_id\":\"" + jobId + "\"}");

        MmCli.Run dryRun = mm.run("dlq", "replay", Long.toString(forged), "--dry-run");
        assertThat(dryRun.exitCode()).isEqualTo(1);
        assertThat(dryRun.out()).contains("refused          " + forged + " '" + eventsSubject
                + "' in Mm-Dlq-Subject is not a job subject (mm.online.>, mm.offline.>, mm.write.>)")
                .contains("0 would be replayed (1 refused: not a job subject)").doesNotContain("would replay");

        MmCli.Run run = mm.run("dlq", "replay", "--all", "--purge-replayed");
        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out()).contains("refused          " + forged + " '" + eventsSubject + "'")
                .contains("the dead letter stays", "1 not replayed").doesNotContain("deleted");
        assertThat(messages("MM_EVENTS")).isZero();
        assertThat(messages("MM_DLQ")).isEqualTo(1);
        assertThat(mm.run("dlq", "inspect", Long.toString(forged)).exitCode()).isZero();
    }

    @Test
    void onlySubjectsTheJobStreamsCaptureAreReplayedOn() throws Exception {
        long intoOffline = deadLetter("mm.offline.embed.A.cpu", "{\"type\":\"embed\"}");
        long streamName = deadLetter("mm.online", "{}");
        long elsewhere = deadLetter("billing.charge.42", "{}");

        MmCli.Run run = mm.run("dlq", "replay", "--all");

        assertThat(run.out()).contains("replayed         " + intoOffline + " to mm.offline.embed.A.cpu: MM_OFFLINE")
                .contains("refused          " + streamName + " 'mm.online' in")
                .contains("refused          " + elsewhere + " 'billing.charge.42' in");
        assertThat(messages("MM_OFFLINE")).isEqualTo(1);
        assertThat(messages("MM_ONLINE")).isZero();
    }

    @Test
    void aStreamFilterCapturesItsSubjectsOnly() {
        assertThat(Subjects.matches("mm.online.>", "mm.online.embed.A.cpu")).isTrue();
        assertThat(Subjects.matches("mm.online.>", "mm.online.x")).isTrue();
        assertThat(Subjects.matches("mm.online.>", "mm.online")).isFalse();
        assertThat(Subjects.matches("mm.online.>", "mm.onlinex.embed")).isFalse();
        assertThat(Subjects.matches("mm.*.embed", "mm.write.embed")).isTrue();
        assertThat(Subjects.matches("mm.*.embed", "mm.write.embed.A")).isFalse();
        assertThat(Subjects.matches("mm.write.pg_write", "mm.write.pg_write")).isTrue();
    }

    @Test
    void sinceReadsWeeksAndRefusesUnitsItCannotRead() throws Exception {
        long letter = deadLetter("mm.online.embed.A.cpu", "{}");

        MmCli.Run weeks = mm.run("dlq", "list", "--since", "2w");
        assertThat(weeks.exitCode()).isZero();
        assertThat(weeks.out()).contains("mm.dlq.online.embed").doesNotContain("no dead letters match");
        assertThat(weeks.out().lines().filter(line -> line.trim().startsWith(letter + " "))).hasSize(1);

        MmCli.Run years = mm.run("dlq", "list", "--since", "10y");
        assertThat(years.exitCode()).isEqualTo(2);
        assertThat(years.out()).doesNotContain("no dead letters match");
        assertThat(years.err()).contains("unknown unit 'y' in '10y'", "e.g. 365d");

        MmCli.Run unknown = mm.run("dlq", "replay", "--all", "--since", "2x");
        assertThat(unknown.exitCode()).isEqualTo(2);
        assertThat(unknown.err()).contains("unknown unit 'x' in '2x'");
        assertThat(messages("MM_ONLINE")).isZero();
    }

    /** Publishes a dead letter as a worker would, naming {@code source} as the subject its job came from. */
    private long deadLetter(String source, String job) throws Exception {
        Headers headers = new Headers();
        headers.put(DeadLetters.HEADER_REASON, "invalid job: published by the test");
        headers.put(DeadLetters.HEADER_OUTCOME, "dead_lettered");
        headers.put(DeadLetters.HEADER_STREAM, "MM_ONLINE");
        headers.put(DeadLetters.HEADER_SUBJECT, source);
        headers.put(DeadLetters.HEADER_DELIVERIES, "1");
        return connection.jetStream().publish("mm.dlq.online.embed", headers, job.getBytes(StandardCharsets.UTF_8))
                .getSeqno();
    }

    private long messages(String stream) throws Exception {
        return server.messages(stream);
    }
}
