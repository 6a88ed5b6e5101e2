package dev.memorymodule.workers.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.repository.zoo.Criteria;
import ai.djl.repository.zoo.ZooModel;
import ai.djl.translate.NoopTranslator;
import dev.memorymodule.workers.embed.EmbeddingModel;
import dev.memorymodule.workers.embed.ModelFiles;
import dev.memorymodule.workers.embed.ModelSpec;

/**
 * The baseline the embed route is measured against: the same ONNX file and tokenizer run by DJL alone, as a developer
 * would write it without this project. Tokenize a batch padded to its longest text, one forward pass, mean pooling
 * over the attention mask, unit length. Several threads each with a predictor of their own, as the worker has.
 */
final class RawEmbedding implements AutoCloseable {

    private final HuggingFaceTokenizer tokenizer;
    private final ZooModel<NDList, NDList> model;

    RawEmbedding() throws Exception {
        ModelSpec spec = ModelSpec.allMiniLmL6V2();
        ModelFiles files = ModelFiles.resolve(spec, EmbeddingModel.defaultCacheDir());
        this.tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(files.tokenizer())
                .optMaxLength(spec.maxTokens()).optTruncation(true).optPadding(true).build();
        this.model = Criteria.builder().setTypes(NDList.class, NDList.class)
                .optModelPath(files.onnx().getParent()).optModelName("model").optEngine(EmbeddingModel.ENGINE)
                .optTranslator(new NoopTranslator()).build().loadModel();
    }

    /**
     * Embeds every text in passes of {@code batchSize}, {@code threads} passes at a time; returns texts per second.
     */
    double textsPerSecond(List<String> texts, int batchSize, int threads) throws Exception {
        List<List<String>> batches = new ArrayList<>();
        for (int start = 0; start < texts.size(); start += batchSize) {
            batches.add(texts.subList(start, Math.min(texts.size(), start + batchSize)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            long started = System.nanoTime();
            List<Future<Integer>> parts = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int first = t;
                parts.add(pool.submit(() -> {
                    int done = 0;
                    try (Predictor<NDList, NDList> predictor = model.newPredictor()) {
                        for (int b = first; b < batches.size(); b += threads) {
                            done += embed(predictor, batches.get(b)).length;
                        }
                    }
                    return done;
                }));
            }
            int total = 0;
            for (Future<Integer> part : parts) {
                total += part.get();
            }
            return total / ((System.nanoTime() - started) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    private float[][] embed(Predictor<NDList, NDList> predictor, List<String> texts) throws Exception {
        Encoding[] encodings = tokenizer.batchEncode(texts);
        int rows = encodings.length;
        int length = encodings[0].getIds().length;
        long[] ids = new long[rows * length];
        long[] mask = new long[rows * length];
        long[] types = new long[rows * length];
        for (int r = 0; r < rows; r++) {
            System.arraycopy(encodings[r].getIds(), 0, ids, r * length, length);
            System.arraycopy(encodings[r].getAttentionMask(), 0, mask, r * length, length);
            System.arraycopy(encodings[r].getTypeIds(), 0, types, r * length, length);
        }
        try (NDManager manager = NDManager.newBaseManager(EmbeddingModel.ENGINE)) {
            Shape shape = new Shape(rows, length);
            NDArray idArray = manager.create(ids, shape);
            idArray.setName("input_ids");
            NDArray maskArray = manager.create(mask, shape);
            maskArray.setName("attention_mask");
            NDArray typeArray = manager.create(types, shape);
            typeArray.setName("token_type_ids");
            NDList output = predictor.predict(new NDList(idArray, maskArray, typeArray));
            float[] tokens = output.get(0).toFloatArray();
            int dims = (int) output.get(0).getShape().get(2);
            float[][] vectors = new float[rows][dims];
            for (int r = 0; r < rows; r++) {
                int count = 0;
                for (int t = 0; t < length; t++) {
                    if (mask[r * length + t] == 0) {
                        continue;
                    }
                    count++;
                    int offset = (r * length + t) * dims;
                    for (int d = 0; d < dims; d++) {
                        vectors[r][d] += tokens[offset + d];
                    }
                }
                double norm = 0;
                for (int d = 0; d < dims; d++) {
                    vectors[r][d] /= count;
                    norm += vectors[r][d] * vectors[r][d];
                }
                float scale = (float) (1 / Math.sqrt(norm));
                for (int d = 0; d < dims; d++) {
                    vectors[r][d] *= scale;
                }
            }
            return vectors;
        }
    }

    @Override
    public void close() {
        model.close();
        tokenizer.close();
    }
}
