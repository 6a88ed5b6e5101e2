package dev.memorymodule.workers.embed;

import java.util.Objects;

/**
 * How a loaded {@link EmbeddingModel} runs, whatever the model.
 *
 * @param device     where its forward passes run
 * @param predictors how many forward passes may run at once (DJL predictors are not thread-safe, so one each)
 * @param batching   whether and how texts of concurrent callers share forward passes
 */
public record ModelRuntime(EmbeddingDevice device, int predictors, BatchOptions batching) {

    public ModelRuntime {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(batching, "batching");
        if (predictors < 1) {
            throw new IllegalArgumentException("predictors must be at least 1: " + predictors);
        }
    }

    /** The CPU, {@code predictors} passes at once, every call in its own pass. */
    public static ModelRuntime unbatched(int predictors) {
        return new ModelRuntime(EmbeddingDevice.cpu(), predictors, BatchOptions.disabled());
    }

    /** The CPU, {@code predictors} passes at once, with default batching across callers. */
    public static ModelRuntime batched(int predictors) {
        return new ModelRuntime(EmbeddingDevice.cpu(), predictors, BatchOptions.defaults());
    }
}
