package dev.memorymodule.workers.embed;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import org.junit.jupiter.api.Test;

/**
 * Device choice against the ONNX Runtime build and the machine this runs on. The default build has no CUDA provider,
 * so on it {@code auto} must fall back to the CPU and {@code gpu} must refuse; the GPU checks run where a GPU is.
 */
class EmbeddingDeviceTest {

    @Test
    void settingsParseInAnyCaseAndAnythingElseIsRefusedByName() {
        assertThat(EmbeddingDevice.Setting.parse(" Auto ")).isEqualTo(EmbeddingDevice.Setting.AUTO);
        assertThat(EmbeddingDevice.Setting.parse("gpu")).isEqualTo(EmbeddingDevice.Setting.GPU);
        assertThatThrownBy(() -> EmbeddingDevice.Setting.parse("cuda"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("cpu, gpu or auto").hasMessageContaining("'cuda'");
    }

    @Test
    void cpuIsTheCpuWhateverTheMachine() {
        EmbeddingDevice device = EmbeddingDevice.choose(EmbeddingDevice.Setting.CPU);

        assertThat(device.isGpu()).isFalse();
        assertThat(device.vramGb()).isZero();
    }

    @Test
    void withoutAUsableGpuAutoFallsBackToTheCpuAndSaysWhy() {
        String missing = EmbeddingDevice.missingForGpu();
        assumeTrue(missing != null, "this machine has a usable GPU");

        EmbeddingDevice device = EmbeddingDevice.choose(EmbeddingDevice.Setting.AUTO);

        assertThat(device.isGpu()).isFalse();
        assertThat(device.vramGb()).isZero();
        assertThat(device.reason()).contains(missing);
    }

    @Test
    void withoutAUsableGpuGpuRefusesToStartNamingWhatIsMissing() {
        String missing = EmbeddingDevice.missingForGpu();
        assumeTrue(missing != null, "this machine has a usable GPU");

        assertThatThrownBy(() -> EmbeddingDevice.choose(EmbeddingDevice.Setting.GPU))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("mm.embedding.device = gpu").hasMessageContaining(missing);
    }

    @Test
    void theDefaultBuildHasNoCudaProvider() {
        // the CPU build is what the default profile ships; the gpu profile swaps in onnxruntime_gpu
        assumeTrue(!Boolean.getBoolean("mm.test.gpu-build"), "built with the gpu profile");

        assertThat(EmbeddingDevice.missingForGpu()).contains("no CUDA provider");
    }

    @Test
    void whereAGpuIsUsableAutoAndGpuBothChooseItAndReadItsMemory() {
        assumeTrue(EmbeddingDevice.missingForGpu() == null, "no usable GPU here");

        EmbeddingDevice auto = EmbeddingDevice.choose(EmbeddingDevice.Setting.AUTO);
        EmbeddingDevice gpu = EmbeddingDevice.choose(EmbeddingDevice.Setting.GPU);

        assertThat(auto.isGpu()).isTrue();
        assertThat(gpu.isGpu()).isTrue();
        assertThat(gpu.vramGb()).isPositive();
    }
}
