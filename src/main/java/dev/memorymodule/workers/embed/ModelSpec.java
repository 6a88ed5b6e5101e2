package dev.memorymodule.workers.embed;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What an {@link EmbeddingModel} loads and how it turns token vectors into one vector per text.
 *
 * @param name      the model's name as reported in events and used as the folder name of its file cache, for example
 *                  {@code all-minilm-l6-v2}; letters, digits, dot, dash and underscore only
 * @param source    where the ONNX graph and the HuggingFace {@code tokenizer.json} come from
 * @param pooling   how the token vectors of one text become its single vector
 * @param maxTokens the most tokens a text may have, counting the special tokens the tokenizer adds; longer texts are
 *                  truncated and reported as such
 * @param normalize whether every vector is scaled to unit length, so that a dot product is the cosine similarity
 */
public record ModelSpec(String name, Source source, Pooling pooling, int maxTokens, boolean normalize) {

    /** Name of the model that a Maven jar on the classpath ships. */
    public static final String MINILM_NAME = "all-minilm-l6-v2";

    /** The sequence length all-MiniLM-L6-v2 was trained with; positions up to 512 exist but add little. */
    public static final int MINILM_MAX_TOKENS = 256;

    /** Resource names of the ONNX graph and the tokenizer inside the langchain4j MiniLM jar. */
    public static final String MINILM_ONNX_RESOURCE = "all-minilm-l6-v2.onnx";
    public static final String MINILM_TOKENIZER_RESOURCE = "all-minilm-l6-v2-tokenizer.json";

    // [CLS] and [SEP] alone take two tokens; a smaller limit would leave no room for text
    private static final int MIN_MAX_TOKENS = 2;

    // the name becomes a folder under the cache directory, so it must not climb out of it
    private static final Pattern SAFE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]*");

    public ModelSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(pooling, "pooling");
        if (!SAFE_NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("Model name must match " + SAFE_NAME + ": '" + name + "'");
        }
        if (maxTokens < MIN_MAX_TOKENS) {
            throw new IllegalArgumentException("maxTokens must be at least " + MIN_MAX_TOKENS + ": " + maxTokens);
        }
    }

    /** all-MiniLM-L6-v2 (384 dimensions, English) as shipped in the langchain4j jar: mean pooling, unit vectors. */
    public static ModelSpec allMiniLmL6V2() {
        return new ModelSpec(MINILM_NAME, new Classpath(MINILM_ONNX_RESOURCE, MINILM_TOKENIZER_RESOURCE),
                Pooling.MEAN, MINILM_MAX_TOKENS, true);
    }

    /** A model kept in a directory on disk that holds {@code tokenizer.json} and one {@code .onnx} graph. */
    public static ModelSpec fromDirectory(String name, Path directory, Pooling pooling, int maxTokens) {
        return new ModelSpec(name, new Directory(directory), pooling, maxTokens, true);
    }

    /** The same model with another token limit. */
    public ModelSpec withMaxTokens(int newMaxTokens) {
        return new ModelSpec(name, source, pooling, newMaxTokens, normalize);
    }

    /** The same model with or without scaling to unit length. */
    public ModelSpec withNormalize(boolean newNormalize) {
        return new ModelSpec(name, source, pooling, maxTokens, newNormalize);
    }

    /** Where the model's files are found. */
    public sealed interface Source permits Classpath, Directory {
    }

    /**
     * Files shipped as classpath resources, typically inside a Maven jar. ONNX Runtime reads only real files, so the
     * loader copies them to its cache directory first.
     *
     * @param onnxResource      resource name of the ONNX graph, without a leading slash
     * @param tokenizerResource resource name of the HuggingFace {@code tokenizer.json}, without a leading slash
     */
    public record Classpath(String onnxResource, String tokenizerResource) implements Source {

        public Classpath {
            Objects.requireNonNull(onnxResource, "onnxResource");
            Objects.requireNonNull(tokenizerResource, "tokenizerResource");
        }
    }

    /**
     * A directory holding {@code tokenizer.json} and either {@code model.onnx} or exactly one other {@code *.onnx}.
     *
     * @param path the directory
     */
    public record Directory(Path path) implements Source {

        public Directory {
            Objects.requireNonNull(path, "path");
        }
    }

    /** How the token vectors of one text become its single vector. */
    public enum Pooling {
        /** Average of the vectors of the real tokens (padding excluded): what sentence-transformers models expect. */
        MEAN,
        /** The vector of the first token ([CLS]): what BGE-style models expect. */
        CLS;

        /** Reads {@code mean} or {@code cls}, in any case, as written in configuration. */
        public static Pooling of(String value) {
            Objects.requireNonNull(value, "pooling");
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("Unknown pooling '" + value + "': expected mean or cls", e);
            }
        }
    }
}
