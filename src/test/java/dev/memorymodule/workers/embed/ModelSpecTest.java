package dev.memorymodule.workers.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ModelSpecTest {

    @Test
    void bundledMiniLmDefaults() {
        ModelSpec spec = ModelSpec.allMiniLmL6V2();

        assertThat(spec.name()).isEqualTo("all-minilm-l6-v2");
        assertThat(spec.pooling()).isEqualTo(ModelSpec.Pooling.MEAN);
        assertThat(spec.maxTokens()).isEqualTo(256);
        assertThat(spec.normalize()).isTrue();
        assertThat(spec.source()).isEqualTo(
                new ModelSpec.Classpath("all-minilm-l6-v2.onnx", "all-minilm-l6-v2-tokenizer.json"));
    }

    @Test
    void copiesChangeOneSetting() {
        ModelSpec spec = ModelSpec.allMiniLmL6V2().withMaxTokens(128).withNormalize(false);

        assertThat(spec.maxTokens()).isEqualTo(128);
        assertThat(spec.normalize()).isFalse();
        assertThat(spec.name()).isEqualTo(ModelSpec.MINILM_NAME);
    }

    @Test
    void poolingIsReadFromConfigurationText() {
        assertThat(ModelSpec.Pooling.of("mean")).isEqualTo(ModelSpec.Pooling.MEAN);
        assertThat(ModelSpec.Pooling.of(" CLS ")).isEqualTo(ModelSpec.Pooling.CLS);
        assertThatThrownBy(() -> ModelSpec.Pooling.of("max"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("max");
    }

    @Test
    void nameThatWouldLeaveTheCacheIsRejected() {
        ModelSpec.Source source = ModelSpec.allMiniLmL6V2().source();

        assertThatThrownBy(() -> new ModelSpec("../escape", source, ModelSpec.Pooling.MEAN, 8, true))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("../escape");
    }

    @Test
    void tokenLimitMustLeaveRoomForText() {
        assertThatThrownBy(() -> ModelSpec.allMiniLmL6V2().withMaxTokens(1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("maxTokens");
    }
}
