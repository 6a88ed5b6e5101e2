package dev.memorymodule.workers.embed;

import java.util.Objects;

/**
 * How a loaded {@link EmbeddingModel} runs, whatever the model.
 *
 * @param device         where its forward passes run
 * @param predictors     how many forward passes may run at once (DJL predictors are not thread-safe, so one each)
 * @param batching       whether and how texts of concurrent callers share forward passes
 * @param intraOpThreads threads ONNX Runtime gives one forward pass on the CPU; 0 shares the cores among the
 *                       predictors ({@link #threadsPerPass()}), since passes that run at once each get their own
 *                       threads and more threads than cores only contend
 */
public record ModelRuntime(EmbeddingDevice device, int predictors, BatchOptions batching, int intraOpThreads) {

    public ModelRuntime {
        Objects.requireNonNull(device, "device");
        Objects.requireNonNull(batching, "batching");
        if (predictors < 1) {
            throw new IllegalArgumentException("predictors must be at least 1: " + predictors);
        }
        if (intraOpThreads < 0) {
            throw new IllegalArgumentException("intraOpThreads must not be negative: " + intraOpThreads);
        }
    }

    /** With the cores shared among the predictors. */
    public ModelRuntime(EmbeddingDevice device, int predictors, BatchOptions batching) {
        this(device, predictors, batching, 0);
    }

    /** The intra-op threads of one pass: as configured, or the cores divided among the predictors, at least 1. */
    public int threadsPerPass() {
        if (intraOpThreads > 0) {
            return intraOpThreads;
        }
        return Math.max(1, Runtime.getRuntime().availableProcessors() / predictors);
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
