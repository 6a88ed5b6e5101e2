package dev.memorymodule.workers.embed;

import java.lang.management.MemoryUsage;
import java.util.EnumSet;
import java.util.Locale;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtProvider;
import ai.onnxruntime.OrtSession;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the embedding models run, from {@code mm.embedding.device}: {@code cpu}, {@code gpu} or {@code auto}.
 *
 * <p>A GPU counts as present only when all of these hold: the ONNX Runtime build on the classpath has the CUDA
 * execution provider (the {@code onnxruntime_gpu} build, see the {@code gpu} Maven profile; the default build has
 * none), that provider loads (it needs the CUDA 12 and cuDNN 9 libraries), and the CUDA runtime reports at least one
 * device. {@code gpu} refuses to start without one; {@code auto} falls back to
 * the CPU, saying why. The worker advertises a GPU in the fleet view only when its models really run on one.
 *
 * @param device where DJL places the models
 * @param reason why this device, for the start-up log
 * @param vramGb memory of the GPU in whole GiB, 0 on the CPU
 */
public record EmbeddingDevice(Device device, String reason, int vramGb) {

    /** The settings {@code mm.embedding.device} accepts. */
    public enum Setting {
        CPU, GPU, AUTO;

        public static Setting parse(String value) {
            try {
                return valueOf(value.trim().toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException | NullPointerException e) {
                throw new IllegalArgumentException("mm.embedding.device must be cpu, gpu or auto, not '" + value
                        + "'", e);
            }
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingDevice.class);
    private static final long GIB = 1L << 30;

    /** The CPU, chosen by configuration. */
    public static EmbeddingDevice cpu() {
        return new EmbeddingDevice(Device.cpu(), "mm.embedding.device = cpu", 0);
    }

    public boolean isGpu() {
        return device.isGpu();
    }

    /**
     * Resolves a setting against this machine.
     *
     * @throws IllegalStateException for {@code gpu} on a machine or build without a usable GPU, naming what is missing
     */
    public static EmbeddingDevice choose(Setting setting) {
        if (setting == Setting.CPU) {
            return cpu();
        }
        String missing = missingForGpu();
        if (missing == null) {
            Device gpu = Device.gpu(0);
            return new EmbeddingDevice(gpu, "mm.embedding.device = " + setting.name().toLowerCase(Locale.ROOT)
                    + " and CUDA device 0 found (" + CudaUtils.getComputeCapability(0) + " compute capability)",
                    vramGb(gpu));
        }
        if (setting == Setting.GPU) {
            throw new IllegalStateException("mm.embedding.device = gpu, but " + missing
                    + "; set it to auto or cpu to run on the CPU");
        }
        LOG.info("Embedding on the CPU: mm.embedding.device = auto and {}", missing);
        return new EmbeddingDevice(Device.cpu(), "mm.embedding.device = auto and " + missing, 0);
    }

    /** What keeps this process from running models on a GPU, or null when nothing does. */
    public static String missingForGpu() {
        EnumSet<OrtProvider> providers;
        try {
            providers = OrtEnvironment.getAvailableProviders();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return "the ONNX Runtime providers cannot be listed (" + e + ")";
        }
        if (!providers.contains(OrtProvider.CUDA)) {
            return "this ONNX Runtime build has no CUDA provider (it has " + providers
                    + "; build with the gpu Maven profile for onnxruntime_gpu)";
        }
        // the CUDA build lists its provider even where the CUDA libraries it loads are missing; loading it tells
        try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
            options.addCUDA(0);
        } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
            return "ONNX Runtime's CUDA provider cannot be loaded (" + e.getMessage() + ")";
        }
        int gpus;
        try {
            gpus = CudaUtils.getGpuCount();
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            return "the CUDA runtime cannot be loaded (" + e + ")";
        }
        if (gpus < 1) {
            return "the CUDA runtime reports no device";
        }
        return null;
    }

    private static int vramGb(Device gpu) {
        try {
            MemoryUsage memory = CudaUtils.getGpuMemory(gpu);
            return (int) (memory.getMax() / GIB);
        } catch (RuntimeException e) {
            LOG.warn("Cannot read the memory of {}: {}", gpu, e.toString());
            return 0;
        }
    }
}
