package dev.memorymodule.workers.faults;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.memorymodule.workers.testsupport.TempFiles;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The fault suite's own machinery, at a small load, so it cannot rot between full runs: two scenarios through the
 * same code {@code bin/fault-suite} runs (a database outage and a drained SIGTERM), each of which must pass.
 */
class FaultSuiteSmokeTest {

    private static final int JOBS = 150;
    private static final Duration OUTAGE = Duration.ofSeconds(5);

    @Test
    @Timeout(300)
    void aDatabaseOutageAndASigtermUnderLoadLoseAndDoubleNothing() throws Exception {
        Path workDir = Files.createTempDirectory("mm-fault-smoke-");
        try {
            SuiteOptions options = new SuiteOptions(JOBS, SuiteOptions.DEFAULT_RATE, OUTAGE, SuiteOptions.DEFAULT_SEED,
                    workDir);
            Instant started = Instant.now();

            List<ScenarioResult> results = FaultSuite.run(options, Scenarios.named(List.of("pg-outage", "sigterm")),
                    System.out);

            String report = ResultTable.render(results, options, started, Duration.between(started, Instant.now()));
            System.out.print(report);
            assertThat(results).hasSize(2);
            assertThat(results).as(report).allMatch(ScenarioResult::passed);
            assertThat(results).allSatisfy(result -> {
                assertThat(result.published()).isEqualTo(JOBS);
                assertThat(result.recoveries()).hasSize(1);
            });
        } finally {
            TempFiles.deleteQuietly(workDir);
        }
    }
}
