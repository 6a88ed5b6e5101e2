package dev.memorymodule.workers.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;

import dev.memorymodule.workers.testsupport.TempFiles;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@code bin/run-samples} on a folder with no jobs stops before it builds or starts anything. The script runs from a
 * copy whose {@code .ci/ensure-services}, the first thing it starts, only leaves a mark: a check that came too late
 * shows as that mark, and nothing real is started.
 */
class RunSamplesScriptTest {

    private Path root;
    private Path started;

    @BeforeEach
    void copyTheScript() throws Exception {
        root = Files.createTempDirectory("mm-run-samples-");
        Files.createDirectories(root.resolve("bin"));
        Files.copy(Path.of("bin/run-samples"), root.resolve("bin/run-samples"));
        started = root.resolve("started");
        Path services = Files.createDirectories(root.resolve(".ci")).resolve("ensure-services");
        Files.writeString(services, "#!/usr/bin/env bash\ntouch '" + started + "'\nexit 3\n");
        Files.setPosixFilePermissions(services, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void delete() {
        TempFiles.deleteQuietly(root);
    }

    @Test
    void aFolderWithoutJobsIsRefusedBeforeAnythingStarts() throws Exception {
        Path cases = Files.createDirectories(root.resolve("cases"));
        Files.writeString(cases.resolve("notes.txt"), "not a job");

        Process script = new ProcessBuilder("bash", root.resolve("bin/run-samples").toString(), cases.toString())
                .redirectErrorStream(true).start();
        String output = new String(script.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(script.waitFor(30, TimeUnit.SECONDS)).isTrue();

        assertThat(script.exitValue()).isEqualTo(2);
        assertThat(output).isEqualTo("run-samples: no *.json jobs in " + cases + "\n");
        assertThat(started).doesNotExist();
    }
}
