package dev.memorymodule.workers.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;

import org.junit.jupiter.api.Test;

/** What the worker refuses to start with, before it loads anything. */
class WorkerConfigurationTest {

    @Test
    void jobTypesAreReadAsConfigured() {
        assertThat(WorkerConfiguration.jobTypes(Map.of("mm.worker.job-types", " embed , pg_write ")::get))
                .containsExactlyInAnyOrder("embed", "pg_write");
    }

    @Test
    void aJobTypeNoJobHasStopsTheStartNamingIt() {
        assertThatThrownBy(() -> WorkerConfiguration.jobTypes(Map.of("mm.worker.job-types", "embd,pg_write")::get))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("mm.worker.job-types names [embd]")
                .hasMessageContaining("embed");
    }
}
