package dev.memorymodule.workers.embed;

import java.util.List;
import java.util.Objects;

/**
 * The vectors of one {@link EmbeddingModel#embed(List)} call, in the order of its texts.
 *
 * <p>The arrays are handed over, not copied: the caller owns them once the call returns.
 *
 * @param vectors   one vector per text, all of the model's dimensions
 * @param truncated indices of the texts that had more tokens than the model's limit; only their beginning was
 *                  embedded. Ascending, unmodifiable.
 */
public record Embeddings(float[][] vectors, List<Integer> truncated) {

    private static final Embeddings EMPTY = new Embeddings(new float[0][], List.of());

    public Embeddings {
        Objects.requireNonNull(vectors, "vectors");
        truncated = List.copyOf(truncated);
    }

    /** The result of embedding no texts. */
    public static Embeddings empty() {
        return EMPTY;
    }

    /** How many texts were embedded. */
    public int size() {
        return vectors.length;
    }

    /** The vector of the text at {@code index}. */
    public float[] vector(int index) {
        return vectors[index];
    }

    /** Whether the text at {@code index} was cut to the model's token limit. */
    public boolean isTruncated(int index) {
        return truncated.contains(index);
    }
}
