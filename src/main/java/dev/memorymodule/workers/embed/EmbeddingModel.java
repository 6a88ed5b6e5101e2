package dev.memorymodule.workers.embed;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;

import ai.djl.MalformedModelException;
import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ModelNotFoundException;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.TranslateException;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A sentence embedding model run by DJL on ONNX Runtime, loaded once and shared by every worker thread.
 *
 * <p>DJL predictors are not thread-safe, so the model keeps a fixed pool of them, created at load: as many forward
 * passes run at once as the pool has predictors. All predictors share one graph loaded in ONNX Runtime and one
 * tokenizer, both of which accept concurrent calls. Callers tokenize their own texts, in their own threads.
 *
 * <p>With batching on ({@link BatchOptions}), the texts of concurrent {@link #embed(List, Priority)} calls share
 * forward passes, cut by a text count, a token budget or a short wait, online texts first. With batching off, each
 * call runs one forward pass over all its texts as soon as a predictor is free, so the caller decides the batch
 * size. Either way a text's vector is the same: padding is masked out.
 */
public final class EmbeddingModel implements AutoCloseable {

    /** The engine DJL must use; the tokenizers jar registers an engine of its own that would otherwise be picked. */
    public static final String ENGINE = "OnnxRuntime";

    /**
     * Predictors in the pool unless told otherwise. Two let a second caller start its forward pass while the first
     * tokenizes or pools; more than that rarely pays, as ONNX Runtime already spreads one pass over all cores.
     */
    public static final int DEFAULT_PREDICTORS = 2;

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingModel.class);

    private static final String CACHE_FOLDER = "mm-workers-models";
    private static final String OFFLINE_PROPERTY = "ai.djl.offline";
    private static final String OFFLINE_VARIABLE = "DJL_OFFLINE";
    private static final String DIMENSION_PROBE = "dimension probe";
    // borrowers wake up this often to notice that the model was closed under them
    private static final long BORROW_POLL_MILLIS = 200;
    // a forward pass on a large batch takes seconds; close waits this long for running ones to finish
    private static final long CLOSE_WAIT_SECONDS = 30;

    private final ModelSpec spec;
    private final ModelRuntime runtime;
    private final HuggingFaceTokenizer tokenizer;
    private final ZooModel<NDList, NDList> model;
    private final List<Predictor<Encoding[], float[][]>> allPredictors;
    private final BlockingQueue<Predictor<Encoding[], float[][]>> idlePredictors;
    // null when batching is off
    private final EmbeddingBatcher batcher;
    private final int dimensions;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final LongAdder passes = new LongAdder();
    private final LongAdder textsEmbedded = new LongAdder();

    private EmbeddingModel(ModelSpec spec, ModelRuntime runtime, HuggingFaceTokenizer tokenizer,
            ZooModel<NDList, NDList> model, List<Predictor<Encoding[], float[][]>> predictors) {
        this.spec = spec;
        this.runtime = runtime;
        this.tokenizer = tokenizer;
        this.model = model;
        this.allPredictors = List.copyOf(predictors);
        this.idlePredictors = new ArrayBlockingQueue<>(predictors.size(), false, predictors);
        this.batcher = runtime.batching().enabled()
                ? new EmbeddingBatcher(spec.name(), runtime.batching(), predictors.size(), this::forward)
                : null;
        // the model's real output decides the width, so a configured model can never disagree with its vectors
        this.dimensions = embed(List.of(DIMENSION_PROBE), Priority.ONLINE).vector(0).length;
    }

    /** Loads {@code spec} with the default cache directory, on the CPU, {@value #DEFAULT_PREDICTORS} predictors. */
    public static EmbeddingModel load(ModelSpec spec) {
        return load(spec, defaultCacheDir(), DEFAULT_PREDICTORS);
    }

    /** Loads {@code spec} on the CPU without batching across callers. */
    public static EmbeddingModel load(ModelSpec spec, Path cacheDir, int predictors) {
        return load(spec, cacheDir, ModelRuntime.unbatched(predictors));
    }

    /**
     * Loads {@code spec}, ready to embed.
     *
     * @param cacheDir where classpath models are copied to, one folder per model name; unused for directory models
     * @param runtime  device, predictors and batching
     * @throws IllegalArgumentException when a model directory, file or resource is missing, or the graph wants inputs
     *                                  other than {@code input_ids}, {@code attention_mask}, {@code token_type_ids}
     * @throws IllegalStateException    when the files exist but the tokenizer or the engine cannot load them
     */
    public static EmbeddingModel load(ModelSpec spec, Path cacheDir, ModelRuntime runtime) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(cacheDir, "cacheDir");
        Objects.requireNonNull(runtime, "runtime");
        long started = System.nanoTime();
        ensureOffline();
        ModelFiles files = ModelFiles.resolve(spec, cacheDir);

        HuggingFaceTokenizer tokenizer = loadTokenizer(spec, files);
        ZooModel<NDList, NDList> model = null;
        try {
            model = loadGraph(files, runtime);
            List<String> inputs = model.describeInput().keys();
            checkInputs(inputs, files);

            EmbeddingTranslator translator = new EmbeddingTranslator(inputs, spec.pooling(), spec.normalize());
            List<Predictor<Encoding[], float[][]>> pool = new ArrayList<>(runtime.predictors());
            for (int i = 0; i < runtime.predictors(); i++) {
                pool.add(model.newPredictor(translator));
            }
            EmbeddingModel loaded = new EmbeddingModel(spec, runtime, tokenizer, model, pool);

            BatchOptions batching = runtime.batching();
            LOG.info("Loaded embedding model {} from {} on {}: {} dimensions, max {} tokens, inputs {}, {} predictors "
                    + "({} threads each on the CPU), {}, {} ms", spec.name(), files.onnx(), runtime.device().device(),
                    loaded.dimensions, spec.maxTokens(), inputs, runtime.predictors(), runtime.threadsPerPass(),
                    batching.enabled()
                            ? "batches of up to " + batching.maxTexts() + " texts or " + batching.maxTokens()
                            + " tokens, waits " + batching.onlineWait().toMillis() + " ms online, "
                            + batching.offlineWait().toMillis() + " ms offline"
                            : "no batching across calls",
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - started));
            return loaded;
        } catch (RuntimeException e) {
            // predictors hold nothing native of their own; the model and the tokenizer do
            if (model != null) {
                model.close();
            }
            tokenizer.close();
            throw e;
        }
    }

    /** {@code <java.io.tmpdir>/mm-workers-models}. */
    public static Path defaultCacheDir() {
        return Path.of(System.getProperty("java.io.tmpdir"), CACHE_FOLDER);
    }

    /** The model's name from its {@link ModelSpec}. */
    public String name() {
        return spec.name();
    }

    /** Length of every vector, as the loaded model produces it. */
    public int dimensions() {
        return dimensions;
    }

    /** The most tokens of a text that are embedded; the rest is cut off. */
    public int maxTokens() {
        return spec.maxTokens();
    }

    /** What this model was loaded from. */
    public ModelSpec spec() {
        return spec;
    }

    /** Device, predictors and batching it runs with. */
    public ModelRuntime runtime() {
        return runtime;
    }

    /** Forward passes completed so far, shared or not. */
    public long passes() {
        return passes.sum();
    }

    /** Texts embedded so far; divided by {@link #passes()}, the mean pass size. */
    public long textsEmbedded() {
        return textsEmbedded.sum();
    }

    /** {@link #embed(List, Priority)} at offline priority. */
    public Embeddings embed(List<String> texts) {
        return embed(texts, Priority.OFFLINE);
    }

    /**
     * Embeds {@code texts}: in forward passes shared with other callers when batching is on, otherwise in one pass
     * of their own. Blocks until every text has its vector.
     *
     * @return one vector per text in the same order, and which texts were truncated; empty for an empty list
     * @throws IllegalArgumentException when a text is null
     * @throws IllegalStateException    when the model is closed, or the calling thread is interrupted while waiting
     * @throws EmbeddingException       when the tokenizer or the engine fails on the texts
     */
    public Embeddings embed(List<String> texts, Priority priority) {
        Objects.requireNonNull(texts, "texts");
        Objects.requireNonNull(priority, "priority");
        ensureOpen();
        if (texts.isEmpty()) {
            return Embeddings.empty();
        }
        Encoding[] encodings = tokenize(texts);
        List<Integer> truncated = new ArrayList<>();
        for (int i = 0; i < encodings.length; i++) {
            if (encodings[i].exceedMaxLength()) {
                truncated.add(i);
            }
        }
        float[][] vectors = batcher == null ? forward(encodings) : await(batcher.submit(encodings, priority));
        return new Embeddings(vectors, truncated);
    }

    private Encoding[] tokenize(List<String> texts) {
        String[] batch = new String[texts.size()];
        for (int i = 0; i < batch.length; i++) {
            batch[i] = texts.get(i);
            if (batch[i] == null) {
                throw new IllegalArgumentException("Text at index " + i + " is null");
            }
        }
        try {
            return tokenizer.batchEncode(batch);
        } catch (RuntimeException e) {
            throw new EmbeddingException("Tokenizing " + batch.length + " texts for " + spec.name() + " failed", e);
        }
    }

    /** One forward pass over tokenized texts; blocks while every predictor is busy. */
    private float[][] forward(Encoding[] encodings) {
        Predictor<Encoding[], float[][]> predictor = borrow();
        try {
            float[][] vectors = predictor.predict(encodings);
            // counted before the callers wake up, so a caller that reads the counters sees its own pass
            passes.increment();
            textsEmbedded.add(encodings.length);
            return vectors;
        } catch (TranslateException e) {
            throw new EmbeddingException("Embedding " + encodings.length + " texts with " + spec.name() + " failed",
                    e);
        } finally {
            idlePredictors.add(predictor);
        }
    }

    private float[][] await(CompletableFuture<float[][]> vectors) {
        try {
            return vectors.get();
        } catch (InterruptedException e) {
            // the texts not yet in a pass are dropped; a pass already running finishes for nobody
            vectors.cancel(false);
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while embedding with " + spec.name(), e);
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof RuntimeException runtimeFailure) {
                throw runtimeFailure;
            }
            throw new EmbeddingException("Embedding with " + spec.name() + " failed", cause);
        }
    }

    /**
     * Waits for running forward passes to finish, then releases the predictors, the graph loaded in ONNX Runtime and
     * the tokenizer. Calls after this one fail; closing twice does nothing.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        if (batcher != null) {
            batcher.close();
        }

        int returned = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CLOSE_WAIT_SECONDS);
        try {
            while (returned < allPredictors.size()) {
                long left = deadline - System.nanoTime();
                if (left <= 0 || idlePredictors.poll(left, TimeUnit.NANOSECONDS) == null) {
                    break;
                }
                returned++;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (returned < allPredictors.size()) {
            // freeing the graph under a running forward pass can crash the JVM; leaking it at shutdown cannot
            LOG.warn("Embedding model {} closed with {} forward passes still running; its native memory is not freed",
                    spec.name(), allPredictors.size() - returned);
            return;
        }

        allPredictors.forEach(Predictor::close);
        model.close();
        tokenizer.close();
        LOG.info("Closed embedding model {}", spec.name());
    }

    private Predictor<Encoding[], float[][]> borrow() {
        try {
            while (true) {
                // a batcher's dispatcher finishes the pass it formed even while the model closes
                if (batcher == null) {
                    ensureOpen();
                }
                Predictor<Encoding[], float[][]> predictor =
                        idlePredictors.poll(BORROW_POLL_MILLIS, TimeUnit.MILLISECONDS);
                if (predictor != null) {
                    return predictor;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while waiting for a predictor of " + spec.name(), e);
        }
    }

    private void ensureOpen() {
        if (closed.get()) {
            throw new IllegalStateException("Embedding model " + spec.name() + " is closed");
        }
    }

    private static void ensureOffline() {
        // DJL otherwise looks up engines and model zoos on the network; models here always come from local files
        if (System.getProperty(OFFLINE_PROPERTY) == null && System.getenv(OFFLINE_VARIABLE) == null) {
            System.setProperty(OFFLINE_PROPERTY, Boolean.TRUE.toString());
            LOG.info("Neither {} nor {} is set; running DJL offline", OFFLINE_PROPERTY, OFFLINE_VARIABLE);
        }
    }

    private static HuggingFaceTokenizer loadTokenizer(ModelSpec spec, ModelFiles files) {
        try {
            // no padding here: texts tokenized apart are padded together, to the longest of their forward pass
            return HuggingFaceTokenizer.builder()
                    .optTokenizerPath(files.tokenizer())
                    .optMaxLength(spec.maxTokens())
                    .optTruncation(true)
                    .optPadding(false)
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new IllegalStateException("Cannot load tokenizer " + files.tokenizer() + ": " + e.getMessage(), e);
        }
    }

    private static ZooModel<NDList, NDList> loadGraph(ModelFiles files, ModelRuntime runtime) {
        String fileName = files.onnx().getFileName().toString();
        // DJL finds the graph by its name without the suffix, inside the directory it is given
        String modelName = fileName.substring(0, fileName.length() - ModelFiles.ONNX_SUFFIX.length());
        Criteria.Builder<NDList, NDList> criteria = Criteria.builder()
                .setTypes(NDList.class, NDList.class)
                .optModelPath(files.onnx().getParent())
                .optModelName(modelName)
                .optEngine(ENGINE)
                .optDevice(runtime.device().device());
        if (!runtime.device().isGpu()) {
            // DJL reads the intra-op count only when the inter-op one is given too; one pass runs its nodes in order
            criteria.optOption("interOpNumThreads", "1")
                    .optOption("intraOpNumThreads", Integer.toString(runtime.threadsPerPass()));
        }
        try {
            return criteria.build().loadModel();
        } catch (ModelNotFoundException | MalformedModelException | IOException | RuntimeException e) {
            throw new IllegalStateException("Cannot load ONNX model " + files.onnx() + ": " + e.getMessage(), e);
        }
    }

    private static void checkInputs(List<String> inputs, ModelFiles files) {
        List<String> unsupported = new ArrayList<>(inputs);
        unsupported.removeAll(EmbeddingTranslator.SUPPORTED_INPUTS);
        if (!unsupported.isEmpty() || !inputs.contains(EmbeddingTranslator.INPUT_IDS)) {
            throw new IllegalArgumentException("ONNX model " + files.onnx() + " declares inputs " + inputs
                    + "; only " + EmbeddingTranslator.SUPPORTED_INPUTS + " can be fed, and input_ids must be one");
        }
    }
}
