package dev.memorymodule.workers.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Dynamic batching on the real all-MiniLM-L6-v2: texts of concurrent callers share forward passes, passes are cut
 * where the options say, online texts go first, vectors are those of unbatched passes, and a failing pass fails only
 * the job that broke it.
 */
class EmbeddingBatchingTest {

    // padding a text among longer ones changes only the summation order inside the engine
    private static final float BATCH_TOLERANCE = 1e-5f;
    private static final int CALLERS = 32;
    // long enough that every caller of a test joins the first pass it can, short enough to keep the test quick
    private static final Duration PATIENT_WAIT = Duration.ofMillis(500);

    private static final List<String> TEXTS = List.of(
            "The user prefers green tea every morning.",
            "What does the user like to drink in the morning?",
            "Short.",
            "The team meeting moved to Thursday at 10:00, after the quarterly review of the storage budget.",
            "Користувач щоранку п'є зелений чай і не любить каву.");

    private static EmbeddingModel unbatched;
    private static HuggingFaceTokenizer tokenizer;

    @BeforeAll
    static void load() throws Exception {
        unbatched = EmbeddingModel.load(ModelSpec.allMiniLmL6V2(), EmbeddingModel.defaultCacheDir(), 1);
        ModelFiles files = ModelFiles.resolve(ModelSpec.allMiniLmL6V2(), EmbeddingModel.defaultCacheDir());
        tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(files.tokenizer()).optPadding(false).build();
    }

    @AfterAll
    static void close() {
        if (unbatched != null) {
            unbatched.close();
        }
        if (tokenizer != null) {
            tokenizer.close();
        }
    }

    @Test
    void concurrentOneTextCallersShareForwardPassesAndGetTheirOwnVectors() throws Exception {
        BatchOptions options = new BatchOptions(true, 64, 1 << 20, PATIENT_WAIT, PATIENT_WAIT);
        try (EmbeddingModel model = batched(options)) {
            long passesBefore = model.passes();
            List<List<String>> calls = new ArrayList<>();
            for (int i = 0; i < CALLERS; i++) {
                calls.add(List.of(TEXTS.get(i % TEXTS.size()) + " #" + i));
            }

            List<Embeddings> results = concurrently(model, calls, Priority.OFFLINE);

            long passes = model.passes() - passesBefore;
            // 32 callers released together fit one pass; a second or third holds stragglers on a busy machine
            assertThat(passes).isBetween(1L, 4L);
            assertThat(model.textsEmbedded()).isGreaterThanOrEqualTo(CALLERS);
            for (int i = 0; i < CALLERS; i++) {
                assertThat(results.get(i).vector(0)).containsExactly(unbatched.embed(calls.get(i)).vector(0),
                        within(BATCH_TOLERANCE));
            }
        }
    }

    @Test
    void aPassIsCutAtTheTextCountAndALargeCallSpansSeveralInOrder() {
        BatchOptions options = new BatchOptions(true, 16, 1 << 20, Duration.ZERO, Duration.ZERO);
        try (EmbeddingModel model = batched(options)) {
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < 100; i++) {
                texts.add(TEXTS.get(i % TEXTS.size()) + " number " + i);
            }
            long passesBefore = model.passes();

            Embeddings result = model.embed(texts, Priority.OFFLINE);

            // 6 full passes of 16 and one of 4
            assertThat(model.passes() - passesBefore).isEqualTo(7);
            Embeddings expected = unbatched.embed(texts);
            for (int i = 0; i < texts.size(); i++) {
                assertThat(result.vector(i)).containsExactly(expected.vector(i), within(BATCH_TOLERANCE));
            }
        }
    }

    @Test
    void aPassIsCutAtTheTokenBudgetCountingPadding() {
        String longText = String.join(" ", Collections.nCopies(150, "word"));
        int tokens = tokenizer.encode(longText).getIds().length;
        // two long texts fit the budget, a third would not
        BatchOptions options = new BatchOptions(true, 64, tokens * 2 + tokens / 2, Duration.ZERO, Duration.ZERO);
        try (EmbeddingModel model = batched(options)) {
            long passesBefore = model.passes();

            Embeddings result = model.embed(Collections.nCopies(6, longText), Priority.OFFLINE);

            assertThat(model.passes() - passesBefore).isEqualTo(3);
            assertThat(result.size()).isEqualTo(6);
        }
    }

    @Test
    void aTextLongerThanTheWholeBudgetStillRunsAlone() {
        BatchOptions options = new BatchOptions(true, 64, 4, Duration.ZERO, Duration.ZERO);
        try (EmbeddingModel model = batched(options)) {
            long passesBefore = model.passes();

            Embeddings result = model.embed(List.of(TEXTS.get(0), TEXTS.get(3)), Priority.OFFLINE);

            assertThat(model.passes() - passesBefore).isEqualTo(2);
            assertThat(result.vector(1)).containsExactly(unbatched.embed(List.of(TEXTS.get(3))).vector(0),
                    within(BATCH_TOLERANCE));
        }
    }

    @Test
    void onlineTextsOvertakeAQueuedOfflineCall() throws Exception {
        // one predictor and small passes: the offline call needs 40 passes in a row
        BatchOptions options = new BatchOptions(true, 4, 1 << 20, Duration.ZERO, Duration.ZERO);
        try (EmbeddingModel model = EmbeddingModel.load(ModelSpec.allMiniLmL6V2(), EmbeddingModel.defaultCacheDir(),
                new ModelRuntime(EmbeddingDevice.cpu(), 1, options))) {
            List<String> bulk = new ArrayList<>();
            for (int i = 0; i < 160; i++) {
                bulk.add(TEXTS.get(3) + " bulk " + i);
            }
            ExecutorService pool = Executors.newFixedThreadPool(2);
            try {
                Future<Embeddings> offline = pool.submit(() -> model.embed(bulk, Priority.OFFLINE));
                // let the bulk call start its passes
                while (model.passes() < 2) {
                    Thread.sleep(1);
                }
                Future<Embeddings> online = pool.submit(() -> model.embed(List.of(TEXTS.get(1)), Priority.ONLINE));

                online.get(30, TimeUnit.SECONDS);
                assertThat(offline.isDone()).as("the offline call is still running when the online one is done")
                        .isFalse();
                assertThat(offline.get(60, TimeUnit.SECONDS).size()).isEqualTo(bulk.size());
            } finally {
                pool.shutdownNow();
            }
        }
    }

    @Test
    void aFailingSharedPassIsRetriedPerCallSoOnlyTheBreakingCallFails() throws Exception {
        String poison = "this text breaks the engine";
        int poisonTokens = tokenizer.encode(poison).getIds().length;
        AtomicInteger completedPasses = new AtomicInteger();
        EmbeddingBatcher.ForwardPass forward = encodings -> {
            float[][] vectors = new float[encodings.length][];
            for (int i = 0; i < encodings.length; i++) {
                if (encodings[i].getIds().length == poisonTokens) {
                    throw new EmbeddingException("engine failure on row " + i, null);
                }
                vectors[i] = new float[] {encodings[i].getIds().length};
            }
            completedPasses.incrementAndGet();
            return vectors;
        };
        BatchOptions options = new BatchOptions(true, 64, 1 << 20, PATIENT_WAIT, PATIENT_WAIT);
        try (EmbeddingBatcher batcher = new EmbeddingBatcher("test", options, 1, forward)) {
            CompletableFuture<float[][]> healthy = batcher.submit(encode("a healthy text"), Priority.OFFLINE);
            CompletableFuture<float[][]> broken = batcher.submit(encode(poison), Priority.OFFLINE);
            CompletableFuture<float[][]> alsoHealthy = batcher.submit(encode("another one", "and more"),
                    Priority.OFFLINE);

            assertThat(healthy.get(10, TimeUnit.SECONDS)[0][0]).isEqualTo(encode("a healthy text")[0].getIds().length);
            assertThat(alsoHealthy.get(10, TimeUnit.SECONDS)).hasNumberOfRows(2);
            assertThatThrownBy(() -> broken.get(10, TimeUnit.SECONDS))
                    .isInstanceOf(ExecutionException.class)
                    .hasCauseInstanceOf(EmbeddingException.class)
                    .hasMessageContaining("engine failure");
            // one shared pass that failed, then one pass per call, of which two succeeded
            assertThat(completedPasses.get()).isEqualTo(2);
        }
    }

    @Test
    void anErrorInAPassFailsItsCallsAsAnEmbeddingFailureAndTheDispatcherGoesOn() throws Exception {
        AtomicInteger calls = new AtomicInteger();
        EmbeddingBatcher.ForwardPass forward = encodings -> {
            if (calls.incrementAndGet() == 1) {
                throw new OutOfMemoryError("no room for the first pass");
            }
            return new float[encodings.length][1];
        };
        BatchOptions options = new BatchOptions(true, 64, 1 << 20, Duration.ZERO, Duration.ZERO);
        // one dispatcher: if the error killed it, the second call would never be answered
        try (EmbeddingBatcher batcher = new EmbeddingBatcher("test", options, 1, forward)) {
            CompletableFuture<float[][]> first = batcher.submit(encode("first"), Priority.OFFLINE);
            assertThatThrownBy(() -> first.get(10, TimeUnit.SECONDS))
                    .hasCauseInstanceOf(EmbeddingException.class)
                    .hasMessageContaining("no room for the first pass");

            assertThat(batcher.submit(encode("second"), Priority.OFFLINE).get(10, TimeUnit.SECONDS))
                    .hasNumberOfRows(1);
        }
    }

    @Test
    void closingFailsWaitingCallsInsteadOfLeavingThemHanging() throws Exception {
        CountDownLatch passStarted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        EmbeddingBatcher.ForwardPass slow = encodings -> {
            passStarted.countDown();
            try {
                release.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new float[encodings.length][1];
        };
        BatchOptions options = new BatchOptions(true, 1, 1 << 20, Duration.ZERO, Duration.ZERO);
        EmbeddingBatcher batcher = new EmbeddingBatcher("test", options, 1, slow);
        CompletableFuture<float[][]> running = batcher.submit(encode("first"), Priority.OFFLINE);
        assertThat(passStarted.await(10, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<float[][]> waiting = batcher.submit(encode("second"), Priority.OFFLINE);

        Thread closer = new Thread(batcher::close);
        closer.start();
        assertThatThrownBy(() -> waiting.get(10, TimeUnit.SECONDS))
                .hasCauseInstanceOf(IllegalStateException.class)
                .hasMessageContaining("closed");
        release.countDown();
        // the pass that was running finishes for its caller
        assertThat(running.get(10, TimeUnit.SECONDS)).hasNumberOfRows(1);
        closer.join(10_000);
        assertThatThrownBy(() -> batcher.submit(encode("late"), Priority.OFFLINE))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void anInterruptedCallerStopsWaitingAndItsQueuedTextsAreDropped() throws Exception {
        BatchOptions options = new BatchOptions(true, 1, 1 << 20, Duration.ZERO, Duration.ZERO);
        try (EmbeddingModel model = EmbeddingModel.load(ModelSpec.allMiniLmL6V2(), EmbeddingModel.defaultCacheDir(),
                new ModelRuntime(EmbeddingDevice.cpu(), 1, options))) {
            List<String> bulk = Collections.nCopies(2_000, TEXTS.get(3));
            List<Throwable> failure = new ArrayList<>();
            Thread caller = new Thread(() -> {
                try {
                    model.embed(bulk, Priority.OFFLINE);
                } catch (RuntimeException e) {
                    failure.add(e);
                }
            });
            caller.start();
            while (model.passes() < 1) {
                Thread.sleep(1);
            }
            caller.interrupt();
            caller.join(10_000);

            assertThat(failure).singleElement().isInstanceOf(IllegalStateException.class);
            long passesAfterInterrupt = model.passes();
            Thread.sleep(300);
            // at most the pass that was running when the caller gave up
            assertThat(model.passes() - passesAfterInterrupt).isLessThanOrEqualTo(1);
            assertThat(model.embed(List.of(TEXTS.get(0)), Priority.ONLINE).size()).isEqualTo(1);
        }
    }

    private static EmbeddingModel batched(BatchOptions options) {
        return EmbeddingModel.load(ModelSpec.allMiniLmL6V2(), EmbeddingModel.defaultCacheDir(),
                new ModelRuntime(EmbeddingDevice.cpu(), 2, options));
    }

    private static Encoding[] encode(String... texts) {
        return tokenizer.batchEncode(texts);
    }

    /** Runs every call in a thread of its own, all released at once, and returns their results in call order. */
    private static List<Embeddings> concurrently(EmbeddingModel model, List<List<String>> calls, Priority priority)
            throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(calls.size());
        try {
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Embeddings>> futures = new ArrayList<>();
            for (List<String> call : calls) {
                futures.add(pool.submit(() -> {
                    start.await();
                    return model.embed(call, priority);
                }));
            }
            start.countDown();
            List<Embeddings> results = new ArrayList<>();
            for (Future<Embeddings> future : futures) {
                results.add(future.get(60, TimeUnit.SECONDS));
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
