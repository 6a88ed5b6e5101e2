package dev.memorymodule.workers.embed;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoBatchifyTranslator;
import ai.djl.translate.TranslatorContext;

/**
 * Turns tokenized texts into one padded batch for a BERT-style ONNX graph, and its token vectors back into one pooled
 * vector per text. The whole array goes through the graph in a single forward pass.
 *
 * <p>The texts come tokenized but not padded, each as long as its own tokens: texts of several callers, tokenized
 * apart, are padded here to the longest of the pass. Padding positions have attention mask 0, so they change no
 * other position's output and are left out of mean pooling; a text's vector does not depend on its companions.
 *
 * <p>Holds no per-call state of its own, so one instance serves every predictor of a model.
 */
final class EmbeddingTranslator implements NoBatchifyTranslator<Encoding[], float[][]> {

    static final String INPUT_IDS = "input_ids";
    static final String ATTENTION_MASK = "attention_mask";
    static final String TOKEN_TYPE_IDS = "token_type_ids";

    /** The graph inputs this translator knows how to fill. */
    static final Set<String> SUPPORTED_INPUTS = Set.of(INPUT_IDS, ATTENTION_MASK, TOKEN_TYPE_IDS);

    // names that exporters give the per-token output; other graphs are read from their first 3-D output
    private static final Set<String> TOKEN_OUTPUTS = Set.of("last_hidden_state", "token_embeddings");
    private static final int TOKEN_OUTPUT_RANK = 3;

    private static final String MASKS = "embed.masks";

    private final List<String> inputNames;
    private final ModelSpec.Pooling pooling;
    private final boolean normalize;

    /**
     * @param inputNames the inputs the graph declares, in its order; ONNX Runtime rejects any extra one
     */
    EmbeddingTranslator(List<String> inputNames, ModelSpec.Pooling pooling, boolean normalize) {
        this.inputNames = List.copyOf(inputNames);
        this.pooling = pooling;
        this.normalize = normalize;
    }

    @Override
    public NDList processInput(TranslatorContext ctx, Encoding[] encodings) {
        int batch = encodings.length;
        int length = 0;
        for (Encoding encoding : encodings) {
            length = Math.max(length, encoding.getIds().length);
        }

        long[] ids = new long[batch * length];
        long[] mask = new long[batch * length];
        long[] types = new long[batch * length];
        // padding positions keep id 0, a valid id in every vocabulary, and mask 0, so no position attends to them
        long[][] masks = new long[batch][];
        for (int row = 0; row < batch; row++) {
            Encoding encoding = encodings[row];
            int tokens = encoding.getIds().length;
            System.arraycopy(encoding.getIds(), 0, ids, row * length, tokens);
            System.arraycopy(encoding.getAttentionMask(), 0, mask, row * length, tokens);
            System.arraycopy(encoding.getTypeIds(), 0, types, row * length, tokens);
            masks[row] = Arrays.copyOfRange(mask, row * length, (row + 1) * length);
        }
        ctx.setAttachment(MASKS, masks);

        NDManager manager = ctx.getNDManager();
        Shape shape = new Shape(batch, length);
        NDList inputs = new NDList(inputNames.size());
        for (String name : inputNames) {
            long[] data = switch (name) {
                case INPUT_IDS -> ids;
                case ATTENTION_MASK -> mask;
                case TOKEN_TYPE_IDS -> types;
                default -> throw new IllegalStateException("Unsupported model input: " + name);
            };
            NDArray array = manager.create(data, shape);
            // named inputs are matched by name, whatever order the graph declares them in
            array.setName(name);
            inputs.add(array);
        }
        return inputs;
    }

    @Override
    public float[][] processOutput(TranslatorContext ctx, NDList outputs) {
        long[][] masks = (long[][]) ctx.getAttachment(MASKS);

        NDArray tokens = tokenOutput(outputs);
        Shape shape = tokens.getShape();
        int batch = Math.toIntExact(shape.get(0));
        int length = Math.toIntExact(shape.get(1));
        int dimensions = Math.toIntExact(shape.get(2));
        float[] data = tokens.toFloatArray();

        float[][] vectors = new float[batch][];
        for (int row = 0; row < batch; row++) {
            int offset = row * length * dimensions;
            float[] vector = pooling == ModelSpec.Pooling.CLS
                    ? firstToken(data, offset, dimensions)
                    : maskedMean(data, offset, masks[row], dimensions);
            if (normalize) {
                scaleToUnitLength(vector);
            }
            vectors[row] = vector;
        }
        return vectors;
    }

    private static NDArray tokenOutput(NDList outputs) {
        for (NDArray output : outputs) {
            if (output.getName() != null && TOKEN_OUTPUTS.contains(output.getName())) {
                return output;
            }
        }
        for (NDArray output : outputs) {
            if (output.getShape().dimension() == TOKEN_OUTPUT_RANK) {
                return output;
            }
        }
        throw new IllegalStateException("Model has no per-token output of shape [batch, tokens, dimensions]; outputs: "
                + describe(outputs));
    }

    private static String describe(NDList outputs) {
        List<String> parts = new ArrayList<>();
        for (NDArray output : outputs) {
            parts.add(output.getName() + output.getShape());
        }
        return String.join(", ", parts);
    }

    private static float[] firstToken(float[] data, int offset, int dimensions) {
        float[] vector = new float[dimensions];
        System.arraycopy(data, offset, vector, 0, dimensions);
        return vector;
    }

    private static float[] maskedMean(float[] data, int offset, long[] mask, int dimensions) {
        // sum in double so that a long text's mean keeps full float precision
        double[] sum = new double[dimensions];
        long count = 0;
        for (int token = 0; token < mask.length; token++) {
            if (mask[token] == 0) {
                continue;
            }
            int start = offset + token * dimensions;
            for (int d = 0; d < dimensions; d++) {
                sum[d] += data[start + d];
            }
            count++;
        }
        float[] vector = new float[dimensions];
        // every encoding holds at least its special tokens, but guard the division all the same
        long divisor = Math.max(count, 1);
        for (int d = 0; d < dimensions; d++) {
            vector[d] = (float) (sum[d] / divisor);
        }
        return vector;
    }

    private static void scaleToUnitLength(float[] vector) {
        double squares = 0;
        for (float value : vector) {
            squares += (double) value * value;
        }
        double norm = Math.sqrt(squares);
        // an all-zero vector has no direction; leave it as it is rather than fill it with NaN
        if (norm == 0) {
            return;
        }
        for (int d = 0; d < vector.length; d++) {
            vector[d] = (float) (vector[d] / norm);
        }
    }
}
