package dev.memorymodule.workers.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

class JobRejectedExceptionTest {

    @Test
    void manyViolationsAreCountedButOnlyTheFirstAreListed() {
        List<Violation> violations = new ArrayList<>();
        for (int i = 0; i < 5_000; i++) {
            violations.add(new Violation("$.input.text[" + i + "]", "type", "expected string, found integer 1"));
        }

        JobRejectedException rejected = new JobRejectedException(violations);

        assertThat(rejected.violations()).hasSize(JobRejectedException.MAX_LISTED)
                .first().extracting(Violation::path).isEqualTo("$.input.text[0]");
        assertThat(rejected.getMessage()).startsWith("invalid job: 5000 violation(s): $.input.text[0]")
                .endsWith("; and 4900 more not listed")
                .doesNotContain("$.input.text[100]:");
    }

    @Test
    void fewViolationsAreAllListed() {
        JobRejectedException rejected = new JobRejectedException(List.of(
                new Violation("$.job_id", "format", "not a ULID"), new Violation("$.type", "enum", "not a type")));

        assertThat(rejected.violations()).hasSize(2);
        assertThat(rejected.getMessage()).isEqualTo("invalid job: 2 violation(s): $.job_id: not a ULID; "
                + "$.type: not a type");
    }
}
