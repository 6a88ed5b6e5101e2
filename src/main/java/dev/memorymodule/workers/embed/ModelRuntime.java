package dev.memorymodule.workers.embed;

import java.util.Objects;

/**
 * How a loaded {@link EmbeddingModel} runs, whatever the model.
 *
 * @param device         where its forward passes run
 * @param predictors     how many forward passes may run at once (DJL predictors are not thread-safe, so one each)
 * @param batching       whether and how texts of concurrent callers share forward passes
 * @param intraOpThreads threads ONNX Runtime gives one forward pass on the CPU; 0 leaves it to ONNX Runtime (one
 *                       per core). Passes running at once share the cores, so predictors times this is what to
 *                       weigh against the cores.
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

    /** With ONNX Runtime's own thread count. */
    public ModelRuntime(EmbeddingDevice device, int predictors, BatchOptions batching) {
        this(device, predictors, batching, 0);
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
