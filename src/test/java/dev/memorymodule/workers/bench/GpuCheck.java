package dev.memorymodule.workers.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.embed.BatchOptions;
import dev.memorymodule.workers.embed.EmbeddingDevice;
import dev.memorymodule.workers.embed.EmbeddingModel;
import dev.memorymodule.workers.embed.ModelRuntime;
import dev.memorymodule.workers.embed.ModelSpec;
import dev.memorymodule.workers.embed.Priority;
import io.nats.client.JetStreamApiException;
import io.nats.client.api.KeyValueEntry;

/**
 * The end-to-end check of a GPU machine ({@code bin/gpu-check}): the GPU is found, the model runs on it and gives
 * the CPU's vectors, batching pays there too, and a real worker announces the GPU and runs a job that needs one.
 * Prints one line per step and exits 1 at the first failure.
 */
public final class GpuCheck {

    private static final double MIN_COSINE = 0.999;
    private static final int TEXTS = 256;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private GpuCheck() {
    }

    public static void main(String[] args) throws Exception {
        long started = System.nanoTime();
        try {
            run(args.length > 0 && "--no-worker".equals(args[0]));
        } catch (CheckFailed e) {
            System.out.println("FAIL  " + e.getMessage());
            System.exit(1);
        }
        System.out.printf("PASS  GPU check done in %.0f s%n", (System.nanoTime() - started) / 1e9);
        System.exit(0);
    }

    private static void run(boolean skipWorker) throws Exception {
        String missing = EmbeddingDevice.missingForGpu();
        check(missing == null, "a usable GPU: " + (missing == null ? "found" : missing));
        EmbeddingDevice gpu = EmbeddingDevice.choose(EmbeddingDevice.Setting.GPU);
        System.out.println("ok    " + gpu.reason() + ", " + gpu.vramGb() + " GiB");

        List<String> texts = new BenchJobs(7).texts(TEXTS);
        try (EmbeddingModel onGpu = EmbeddingModel.load(ModelSpec.allMiniLmL6V2(), EmbeddingModel.defaultCacheDir(),
                new ModelRuntime(gpu, 2, BatchOptions.defaults()));
             EmbeddingModel onCpu = EmbeddingModel.load(ModelSpec.allMiniLmL6V2(), EmbeddingModel.defaultCacheDir(),
                     ModelRuntime.unbatched(2))) {
            float[][] fromGpu = onGpu.embed(texts, Priority.OFFLINE).vectors();
            float[][] fromCpu = onCpu.embed(texts, Priority.OFFLINE).vectors();
            double worst = 1;
            for (int i = 0; i < TEXTS; i++) {
                worst = Math.min(worst, cosine(fromGpu[i], fromCpu[i]));
            }
            check(worst >= MIN_COSINE, String.format("GPU vectors match the CPU's: lowest cosine %.5f over %d texts",
                    worst, TEXTS));

            double gpuRate = rate(onGpu, texts);
            double cpuRate = rate(onCpu, texts);
            System.out.printf("ok    %d texts in passes of %d: GPU %.0f texts/s, CPU %.0f texts/s (%.1fx)%n", TEXTS,
                    BatchOptions.DEFAULT_MAX_TEXTS, gpuRate, cpuRate, gpuRate / cpuRate);
        }
        if (skipWorker) {
            System.out.println("skip  worker check (--no-worker)");
            return;
        }
        workerRunsAGpuJob();
    }

    /** A real worker on this GPU announces it in the fleet view and completes a job that needs a GPU. */
    private static void workerRunsAGpuJob() throws Exception {
        try (BenchRig rig = new BenchRig();
             BenchRig.Worker worker = rig.startWorker("gpu-check", Map.of("mm.embedding.device", "gpu",
                     "mm.worker.job-types", "embed"));
             JobStream stream = new JobStream(rig.connection())) {
            // the worker joins once Camel has fully started, a moment after its log says started
            KeyValueEntry entry = null;
            for (int i = 0; i < 100 && entry == null; i++) {
                try {
                    entry = rig.connection().keyValue("mm_workers").get("gpu-check");
                } catch (IOException | JetStreamApiException e) {
                    // the bucket is not there yet
                }
                Thread.sleep(100);
            }
            check(entry != null, "the worker is listed in the fleet view");
            JsonNode listed = MAPPER.readTree(entry.getValue());
            check(listed.path("gpu").asBoolean() && listed.path("vram_gb").asInt() > 0,
                    "the worker announces its GPU: " + listed);

            ObjectNode job = new BenchJobs(8).embed(List.of("A text embedded on the GPU."));
            ((ObjectNode) job.path("requirements")).put("needs_gpu", true);
            List<String> ids = new ArrayList<>(BenchJobs.ids(List.of(job)));
            stream.publishAll(List.of(job));
            stream.awaitAll(ids, Duration.ofSeconds(60));
            check("completed".equals(stream.outcomeCounts(ids).keySet().iterator().next()),
                    "a job that needs a GPU completes on it: " + stream.outcomeCounts(ids));
        }
    }

    private static double rate(EmbeddingModel model, List<String> texts) {
        long started = System.nanoTime();
        for (int round = 0; round < 3; round++) {
            model.embed(texts, Priority.OFFLINE);
        }
        return 3.0 * texts.size() / ((System.nanoTime() - started) / 1e9);
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        double na = 0;
        double nb = 0;
        for (int i = 0; i < a.length; i++) {
            dot += a[i] * b[i];
            na += a[i] * a[i];
            nb += b[i] * b[i];
        }
        return dot / Math.sqrt(na * nb);
    }

    private static void check(boolean passed, String what) {
        if (!passed) {
            throw new CheckFailed(what);
        }
        System.out.println("ok    " + what);
    }

    private static final class CheckFailed extends RuntimeException {
        CheckFailed(String message) {
            super(message);
        }
    }
}
