package dev.memorymodule.workers.embed;

import dev.memorymodule.workers.config.DurationText;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;

import dev.memorymodule.workers.job.PermanentJobException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedding models this worker has loaded, and which names a job may ask for. A job's {@code input.model}
 * resolves through the configured aliases to a local model; a name this worker lacks is a permanent failure,
 * never a silent substitute.
 */
public final class ModelRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(ModelRegistry.class);

    private final Map<String, EmbeddingModel> models;
    private final Map<String, String> aliases;
    private final String defaultModel;
    private final EmbeddingDevice device;

    public ModelRegistry(Map<String, EmbeddingModel> models, Map<String, String> aliases, String defaultModel) {
        this(models, aliases, defaultModel, EmbeddingDevice.cpu());
    }

    /**
     * @param device where every one of the models runs
     */
    public ModelRegistry(Map<String, EmbeddingModel> models, Map<String, String> aliases, String defaultModel,
                         EmbeddingDevice device) {
        this.device = device;
        this.models = Map.copyOf(models);
        this.aliases = Map.copyOf(aliases);
        if (!this.models.containsKey(defaultModel)) {
            throw new IllegalArgumentException("default model " + defaultModel + " is not among the loaded models "
                    + this.models.keySet());
        }
        this.defaultModel = defaultModel;
    }

    /**
     * Loads the models named by {@code mm.embedding.models} on the device {@code mm.embedding.device} chooses, with
     * batching as {@code mm.embedding.batch.*} say. The bundled MiniLM needs no files; any other model needs
     * {@code mm.embedding.model.<name>.dir}.
     */
    public static ModelRegistry fromConfig(Function<String, String> lookup) {
        Path cacheDir = Path.of(required(lookup, "mm.embedding.cache-dir"));
        int predictors = Integer.parseInt(required(lookup, "mm.embedding.predictors"));
        EmbeddingDevice device = EmbeddingDevice.choose(EmbeddingDevice.Setting.parse(
                required(lookup, "mm.embedding.device")));
        String threads = lookup.apply("mm.embedding.intra-op-threads");
        ModelRuntime runtime = new ModelRuntime(device, predictors, batchOptions(lookup),
                threads == null || threads.isBlank() ? 0 : Integer.parseInt(threads.trim()));
        Map<String, EmbeddingModel> models = new LinkedHashMap<>();
        try {
            for (String name : list(required(lookup, "mm.embedding.models"))) {
                ModelSpec spec = spec(lookup, name);
                long start = System.nanoTime();
                EmbeddingModel model = EmbeddingModel.load(spec, cacheDir, runtime);
                LOG.info("Loaded embedding model {} ({} dims) in {} ms", name, model.dimensions(),
                        (System.nanoTime() - start) / 1_000_000);
                models.put(name, model);
            }
        } catch (RuntimeException e) {
            models.values().forEach(EmbeddingModel::close);
            throw e;
        }
        Map<String, String> aliases = new LinkedHashMap<>();
        String aliasSpec = lookup.apply("mm.embedding.aliases");
        for (String pair : list(aliasSpec == null ? "" : aliasSpec)) {
            int colon = pair.lastIndexOf(':');
            if (colon <= 0 || colon == pair.length() - 1) {
                throw new IllegalArgumentException("mm.embedding.aliases: expected name:model, got " + pair);
            }
            aliases.put(pair.substring(0, colon).trim(), pair.substring(colon + 1).trim());
        }
        return new ModelRegistry(models, aliases, required(lookup, "mm.embedding.default-model"), device);
    }

    private static BatchOptions batchOptions(Function<String, String> lookup) {
        String prefix = "mm.embedding.batch.";
        return new BatchOptions(Boolean.parseBoolean(required(lookup, prefix + "enabled")),
                Integer.parseInt(required(lookup, prefix + "max-texts")),
                Integer.parseInt(required(lookup, prefix + "max-tokens")),
                DurationText.parse(prefix + "online-wait", required(lookup, prefix + "online-wait")),
                DurationText.parse(prefix + "offline-wait", required(lookup, prefix + "offline-wait")));
    }

    private static ModelSpec spec(Function<String, String> lookup, String name) {
        String prefix = "mm.embedding.model." + name + ".";
        String dir = lookup.apply(prefix + "dir");
        if (dir == null || dir.isBlank()) {
            if (ModelSpec.MINILM_NAME.equals(name)) {
                return ModelSpec.allMiniLmL6V2();
            }
            throw new IllegalArgumentException("model " + name + " needs " + prefix + "dir (model.onnx and "
                    + "tokenizer.json); only " + ModelSpec.MINILM_NAME + " ships inside the worker");
        }
        String pooling = lookup.apply(prefix + "pooling");
        String maxTokens = lookup.apply(prefix + "max-tokens");
        return ModelSpec.fromDirectory(name, Path.of(dir),
                ModelSpec.Pooling.of(pooling == null || pooling.isBlank() ? "mean" : pooling),
                maxTokens == null || maxTokens.isBlank() ? 512 : Integer.parseInt(maxTokens.trim()));
    }

    /**
     * The local model for a job's {@code input.model}; null or blank means the default model.
     *
     * @throws PermanentJobException when this worker has no model by that name
     */
    public EmbeddingModel resolve(String requested) {
        if (requested == null || requested.isBlank()) {
            return models.get(defaultModel);
        }
        String local = aliases.getOrDefault(requested, requested);
        EmbeddingModel model = models.get(local);
        if (model == null) {
            throw new PermanentJobException("embedding model '" + requested + "' is not available on this worker; "
                    + "it serves " + servedNames());
        }
        return model;
    }

    /** Every name a job may ask for: local model names and aliases. */
    public List<String> servedNames() {
        List<String> names = new ArrayList<>(models.keySet());
        aliases.forEach((alias, local) -> {
            if (models.containsKey(local) && !names.contains(alias)) {
                names.add(alias);
            }
        });
        return names;
    }

    /** Where the models run. */
    public EmbeddingDevice device() {
        return device;
    }

    public Map<String, Integer> dimensionsByModel() {
        Map<String, Integer> dims = new LinkedHashMap<>();
        models.forEach((name, model) -> dims.put(name, model.dimensions()));
        return dims;
    }

    @Override
    public void close() {
        models.values().forEach(EmbeddingModel::close);
    }

    private static String required(Function<String, String> lookup, String key) {
        String value = lookup.apply(key);
        if (value == null || value.isBlank()) {
            throw new IllegalArgumentException("missing configuration " + key);
        }
        return value.trim();
    }

    private static List<String> list(String value) {
        List<String> items = new ArrayList<>();
        for (String item : value.split(",")) {
            if (!item.isBlank()) {
                items.add(item.trim());
            }
        }
        return items;
    }
}
