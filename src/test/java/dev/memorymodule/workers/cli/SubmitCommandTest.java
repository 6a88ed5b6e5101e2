package dev.memorymodule.workers.cli;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseTree;
import static dev.memorymodule.workers.testsupport.WorkerHarness.fresh;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.testsupport.MmCli;
import dev.memorymodule.workers.testsupport.StreamsServer;
import dev.memorymodule.workers.testsupport.TempFiles;
import io.nats.client.Connection;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code mm submit} over a real server with its streams and no worker: a file that cannot be sent is reported in
 * one line and the others are still published, an unreachable server is one line, and a --wait it cannot read
 * stops it before anything is published.
 */
class SubmitCommandTest {

    private StreamsServer server;
    private Connection connection;
    private MmCli mm;
    private Path dir;

    @BeforeEach
    void start() throws Exception {
        server = StreamsServer.start();
        connection = server.connection();
        mm = server.mm();
        dir = Files.createTempDirectory("mm-submit-");
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        TempFiles.deleteQuietly(dir);
    }

    @Test
    void eachFileThatCannotBeSentIsOneLineAndTheOthersArePublished() throws Exception {
        Path good = Files.write(dir.resolve("ok.json"), bytes(job()));
        ObjectNode huge = job();
        ((ObjectNode) huge.path("input")).putArray("text").add("x".repeat(2 * 1024 * 1024));
        Path big = Files.write(dir.resolve("big.json"), bytes(huge));
        Path missing = dir.resolve("missing.json");
        Path folder = Files.createDirectory(dir.resolve("jobs.json"));

        MmCli.Run run = mm.run("submit", "--no-validate", "--wait", "1s", big.toString(), missing.toString(),
                folder.toString(), good.toString());

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err()).doesNotContain("Exception", "\tat ");
        assertThat(run.err().lines()).containsExactly(
                big + ": not published, the job is " + Files.size(big) + " bytes, more than the "
                        + connection.getMaxPayload() + " bytes the NATS server takes in one message (its max_payload)",
                missing + ": not published, no such file",
                folder + ": not published, it is a directory, not a job file",
                "3 of 4 job file(s) not published");
        // no worker runs: the good job waits in its stream
        assertThat(run.out()).contains("ok.json: no outcome within 1s (published on mm.online.embed.");
        assertThat(messages("MM_ONLINE")).isEqualTo(1);
    }

    @Test
    void anUnreachableServerIsOneLine() throws Exception {
        Path good = Files.write(dir.resolve("ok.json"), bytes(job()));

        MmCli.Run run = mm.run("submit", good.toString(), "--nats", "nats://127.0.0.1:1");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.err().lines()).containsExactly("mm submit: cannot connect to the NATS server at "
                + "nats://127.0.0.1:1 (Connection refused); no job was published");
    }

    @Test
    void theOtherCommandsReportAnUnreachableServerInOneLineToo() {
        for (String command : new String[] {"init-streams", "dlq list", "dlq inspect"}) {
            List<String> args = new ArrayList<>(List.of(command.split(" ")));
            if (command.endsWith("inspect")) {
                args.add("1");
            }
            args.addAll(List.of("--nats", "nats://127.0.0.1:1"));

            MmCli.Run run = mm.run(args.toArray(String[]::new));

            assertThat(run.exitCode()).isEqualTo(1);
            assertThat(run.err().lines()).singleElement().asString()
                    .startsWith("mm " + command + ": cannot connect to the NATS server at nats://127.0.0.1:1");
        }
    }

    @Test
    void aWaitWithoutAUnitIsRefusedBeforeAnythingIsPublished() throws Exception {
        Path good = Files.write(dir.resolve("ok.json"), bytes(job()));

        for (String wait : new String[] {"5", "abc", "5x"}) {
            MmCli.Run run = mm.run("submit", "--wait", wait, good.toString());
            assertThat(run.exitCode()).isEqualTo(2);
            assertThat(run.err()).contains("--wait").contains("'" + wait + "'");
            assertThat(run.out()).doesNotContain("ok.json");
        }
        assertThat(messages("MM_ONLINE")).isZero();
    }

    private static ObjectNode job() throws Exception {
        return fresh(caseTree("01-seed-example-embed.json"));
    }

    private long messages(String stream) throws Exception {
        return server.messages(stream);
    }
}
