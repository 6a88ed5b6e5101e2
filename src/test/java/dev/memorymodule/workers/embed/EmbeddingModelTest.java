package dev.memorymodule.workers.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the real all-MiniLM-L6-v2 from its Maven jar, loaded once for the whole class. */
class EmbeddingModelTest {

    private static final int MINILM_DIMENSIONS = 384;
    private static final float UNIT_TOLERANCE = 1e-4f;
    private static final float BATCH_TOLERANCE = 1e-4f;
    // concurrency must not change the arithmetic at all; this only absorbs float printing noise
    private static final float CONCURRENCY_TOLERANCE = 1e-6f;
    private static final int PREDICTORS = 2;
    private static final int THREADS = 4;
    private static final int ROUNDS_PER_THREAD = 3;
    private static final int LONG_TEXT_WORDS = 20_000;

    private static final String GREEN_TEA = "The user prefers green tea every morning.";
    private static final String DRINK_QUESTION = "What does the user like to drink in the morning?";
    private static final String MEETING = "The team meeting moved to Thursday at 10:00.";
    private static final String UKRAINIAN = "Користувач щоранку п'є зелений чай і не любить каву.";

    private static EmbeddingModel model;

    @BeforeAll
    static void loadModel() {
        // fewer predictors than threads, so the concurrency test also exercises waiting for a free one
        model = EmbeddingModel.load(ModelSpec.allMiniLmL6V2(), EmbeddingModel.defaultCacheDir(), PREDICTORS);
    }

    @AfterAll
    static void closeModel() {
        if (model != null) {
            model.close();
        }
    }

    @Test
    void readsDimensionsFromTheModel() {
        assertThat(model.dimensions()).isEqualTo(MINILM_DIMENSIONS);
        assertThat(model.name()).isEqualTo(ModelSpec.MINILM_NAME);
        assertThat(model.maxTokens()).isEqualTo(ModelSpec.MINILM_MAX_TOKENS);

        Embeddings result = model.embed(List.of(GREEN_TEA));

        assertThat(result.vector(0)).hasSize(MINILM_DIMENSIONS);
    }

    @Test
    void everyVectorHasUnitLength() {
        Embeddings result = model.embed(List.of(GREEN_TEA, DRINK_QUESTION, MEETING, "", "ok"));

        assertThat(result.size()).isEqualTo(5);
        for (float[] vector : result.vectors()) {
            assertThat(norm(vector)).isCloseTo(1.0, within((double) UNIT_TOLERANCE));
        }
        assertThat(result.truncated()).isEmpty();
    }

    @Test
    void relatedTextsAreCloserThanUnrelatedOnes() {
        Embeddings result = model.embed(List.of(GREEN_TEA, DRINK_QUESTION, MEETING));

        double related = cosine(result.vector(0), result.vector(1));
        double unrelated = cosine(result.vector(2), result.vector(1));

        assertThat(related).isGreaterThan(unrelated);
    }

    @Test
    void paddingInABatchDoesNotChangeAVector() {
        float[] alone = model.embed(List.of(GREEN_TEA)).vector(0);

        List<String> batch = List.of("Hi.", GREEN_TEA,
                "A much longer sentence about quarterly planning, budgets, hiring and the roadmap for next year.");
        float[] inBatch = model.embed(batch).vector(1);

        assertThat(inBatch).containsExactly(alone, within(BATCH_TOLERANCE));
    }

    @Test
    void repeatedCallsGiveIdenticalVectors() {
        List<String> texts = List.of(GREEN_TEA, MEETING);

        Embeddings first = model.embed(texts);
        Embeddings second = model.embed(texts);

        for (int i = 0; i < texts.size(); i++) {
            assertThat(second.vector(i)).containsExactly(first.vector(i));
        }
    }

    @Test
    void longTextIsTruncatedAndStillEmbeds() {
        String longText = String.join(" ", Collections.nCopies(LONG_TEXT_WORDS / 4, "memory jobs need workers"));

        Embeddings result = model.embed(List.of(GREEN_TEA, longText));

        assertThat(result.truncated()).containsExactly(1);
        assertThat(result.isTruncated(0)).isFalse();
        assertThat(result.vector(1)).hasSize(MINILM_DIMENSIONS);
        assertThat(norm(result.vector(1))).isCloseTo(1.0, within((double) UNIT_TOLERANCE));
    }

    @Test
    void ukrainianTextEmbedsToAUnitVector() {
        Embeddings result = model.embed(List.of(UKRAINIAN));

        assertThat(result.vector(0)).hasSize(MINILM_DIMENSIONS);
        assertThat(norm(result.vector(0))).isCloseTo(1.0, within((double) UNIT_TOLERANCE));
    }

    @Test
    void concurrentCallersGetTheSameVectorsAsSequentialOnes() throws Exception {
        List<List<String>> batches = List.of(
                List.of(GREEN_TEA),
                List.of(DRINK_QUESTION, MEETING),
                List.of(UKRAINIAN, GREEN_TEA, "Short."),
                List.of(MEETING, "Another text about the weekly report that is due on Friday."));
        List<Embeddings> sequential = new ArrayList<>();
        for (List<String> batch : batches) {
            sequential.add(model.embed(batch));
        }

        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try {
            List<Future<List<Embeddings>>> futures = new ArrayList<>();
            for (int thread = 0; thread < THREADS; thread++) {
                List<String> batch = batches.get(thread);
                Callable<List<Embeddings>> rounds = () -> {
                    List<Embeddings> results = new ArrayList<>();
                    for (int round = 0; round < ROUNDS_PER_THREAD; round++) {
                        results.add(model.embed(batch));
                    }
                    return results;
                };
                futures.add(pool.submit(rounds));
            }

            for (int thread = 0; thread < THREADS; thread++) {
                for (Embeddings concurrent : futures.get(thread).get(1, TimeUnit.MINUTES)) {
                    Embeddings expected = sequential.get(thread);
                    for (int i = 0; i < expected.size(); i++) {
                        assertThat(concurrent.vector(i)).containsExactly(expected.vector(i),
                                within(CONCURRENCY_TOLERANCE));
                    }
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void emptyListGivesAnEmptyResult() {
        Embeddings result = model.embed(List.of());

        assertThat(result.size()).isZero();
        assertThat(result.truncated()).isEmpty();
    }

    @Test
    void nullTextIsRejectedWithItsIndex() {
        List<String> texts = new ArrayList<>(List.of(GREEN_TEA));
        texts.add(null);

        assertThatThrownBy(() -> model.embed(texts))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("index 1");
    }

    @Test
    void missingModelDirectoryFailsNamingThePath(@TempDir Path temp) {
        Path missing = temp.resolve("no-such-model");
        ModelSpec spec = ModelSpec.fromDirectory("bge-m3", missing, ModelSpec.Pooling.CLS, 512);

        assertThatThrownBy(() -> EmbeddingModel.load(spec))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(missing.toAbsolutePath().toString());
    }

    private static double norm(float[] vector) {
        double squares = 0;
        for (float value : vector) {
            squares += (double) value * value;
        }
        return Math.sqrt(squares);
    }

    private static double cosine(float[] a, float[] b) {
        double dot = 0;
        for (int i = 0; i < a.length; i++) {
            dot += (double) a[i] * b[i];
        }
        return dot / (norm(a) * norm(b));
    }
}
