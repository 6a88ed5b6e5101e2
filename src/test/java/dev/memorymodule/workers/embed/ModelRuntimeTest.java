package dev.memorymodule.workers.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/** How many ONNX Runtime threads a forward pass gets, and what a runtime refuses. */
class ModelRuntimeTest {

    private static final int CORES = Runtime.getRuntime().availableProcessors();

    @Test
    void unsetThreadsShareTheCoresAmongThePredictorsAndNeverDropBelowOne() {
        assertThat(new ModelRuntime(EmbeddingDevice.cpu(), 1, BatchOptions.disabled()).threadsPerPass())
                .isEqualTo(CORES);
        assertThat(new ModelRuntime(EmbeddingDevice.cpu(), 2, BatchOptions.disabled()).threadsPerPass())
                .isEqualTo(Math.max(1, CORES / 2));
        assertThat(new ModelRuntime(EmbeddingDevice.cpu(), CORES * 4, BatchOptions.disabled()).threadsPerPass())
                .isEqualTo(1);
    }

    @Test
    void configuredThreadsAreTakenAsTheyAre() {
        assertThat(new ModelRuntime(EmbeddingDevice.cpu(), 2, BatchOptions.disabled(), 7).threadsPerPass())
                .isEqualTo(7);
    }

    @Test
    void nonsenseIsRefusedByName() {
        assertThatThrownBy(() -> new ModelRuntime(EmbeddingDevice.cpu(), 0, BatchOptions.disabled()))
                .hasMessageContaining("predictors");
        assertThatThrownBy(() -> new ModelRuntime(EmbeddingDevice.cpu(), 1, BatchOptions.disabled(), -1))
                .hasMessageContaining("intraOpThreads");
        assertThatThrownBy(() -> new BatchOptions(true, 0, 10, java.time.Duration.ZERO, java.time.Duration.ZERO))
                .hasMessageContaining("maxTexts");
    }
}
