package dev.memorymodule.workers.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Finding and extracting model files, without loading any model. */
class ModelFilesTest {

    // a small resource stands in for the graph: extraction does not look inside the files
    private static final String SMALL_RESOURCE = ModelSpec.MINILM_TOKENIZER_RESOURCE;
    private static final FileTime LONG_AGO = FileTime.from(Instant.parse("2020-01-01T00:00:00Z"));

    @TempDir
    Path temp;

    @Test
    void directoryWithoutTokenizerIsRejectedNamingTheFile() throws Exception {
        Files.writeString(temp.resolve("model.onnx"), "graph");

        assertThatThrownBy(() -> ModelFiles.resolve(directorySpec(temp), temp))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(temp.resolve("tokenizer.json").toString());
    }

    @Test
    void directoryWithoutGraphIsRejected() throws Exception {
        Files.writeString(temp.resolve("tokenizer.json"), "{}");

        assertThatThrownBy(() -> ModelFiles.resolve(directorySpec(temp), temp))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("model.onnx")
                .hasMessageContaining(temp.toString());
    }

    @Test
    void severalGraphsWithoutModelOnnxAreAmbiguous() throws Exception {
        Files.writeString(temp.resolve("tokenizer.json"), "{}");
        Files.writeString(temp.resolve("a.onnx"), "graph");
        Files.writeString(temp.resolve("b.onnx"), "graph");

        assertThatThrownBy(() -> ModelFiles.resolve(directorySpec(temp), temp))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("a.onnx")
                .hasMessageContaining("b.onnx");
    }

    @Test
    void singleGraphOfAnyNameIsFound() throws Exception {
        Files.writeString(temp.resolve("tokenizer.json"), "{}");
        Files.writeString(temp.resolve("bge-m3.onnx"), "graph");

        ModelFiles files = ModelFiles.resolve(directorySpec(temp), temp);

        assertThat(files.onnx()).isEqualTo(temp.resolve("bge-m3.onnx"));
        assertThat(files.tokenizer()).isEqualTo(temp.resolve("tokenizer.json"));
    }

    @Test
    void modelOnnxWinsOverOtherGraphs() throws Exception {
        Files.writeString(temp.resolve("tokenizer.json"), "{}");
        Files.writeString(temp.resolve("model.onnx"), "graph");
        Files.writeString(temp.resolve("model_quantized.onnx"), "graph");

        assertThat(ModelFiles.resolve(directorySpec(temp), temp).onnx()).isEqualTo(temp.resolve("model.onnx"));
    }

    @Test
    void missingResourceIsRejectedNamingIt() {
        ModelSpec spec = classpathSpec("no/such/model.onnx");

        assertThatThrownBy(() -> ModelFiles.resolve(spec, temp))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("no/such/model.onnx");
    }

    @Test
    void resourcesAreExtractedOnceIntoAFolderNamedAfterTheModel() throws Exception {
        ModelSpec spec = classpathSpec(SMALL_RESOURCE);

        ModelFiles first = ModelFiles.resolve(spec, temp);
        Files.setLastModifiedTime(first.onnx(), LONG_AGO);
        ModelFiles second = ModelFiles.resolve(spec, temp);

        assertThat(first.onnx()).isEqualTo(temp.resolve("test-model").resolve("model.onnx"));
        assertThat(first.tokenizer()).isEqualTo(temp.resolve("test-model").resolve("tokenizer.json"));
        assertThat(Files.size(first.onnx())).isEqualTo(Files.size(first.tokenizer())).isPositive();
        assertThat(Files.getLastModifiedTime(second.onnx())).isEqualTo(LONG_AGO);
        try (var leftovers = Files.list(temp.resolve("test-model"))) {
            assertThat(leftovers).hasSize(2);
        }
    }

    @Test
    void damagedExtractedFileIsReplaced() throws Exception {
        ModelSpec spec = classpathSpec(SMALL_RESOURCE);
        ModelFiles first = ModelFiles.resolve(spec, temp);
        long size = Files.size(first.onnx());
        Files.writeString(first.onnx(), "half a file");

        ModelFiles second = ModelFiles.resolve(spec, temp);

        assertThat(Files.size(second.onnx())).isEqualTo(size);
    }

    private static ModelSpec directorySpec(Path directory) {
        return ModelSpec.fromDirectory("test-model", directory, ModelSpec.Pooling.MEAN, 128);
    }

    private static ModelSpec classpathSpec(String onnxResource) {
        return new ModelSpec("test-model", new ModelSpec.Classpath(onnxResource, SMALL_RESOURCE),
                ModelSpec.Pooling.MEAN, 128, true);
    }
}
