package dev.memorymodule.workers.embed;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.memorymodule.workers.job.JobHeaders;
import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.ValidatedJob;
import org.apache.camel.Exchange;

/**
 * The {@code embed} job: the texts of {@code input.text} to unit vectors with the requested model. The vectors go
 * in the job's result. A requested {@code dims} that the model does not produce is refused: vectors are never
 * padded, cut or projected to fake a size.
 */
public class EmbedJob {

    private final ModelRegistry models;
    private final TextLimits limits;

    public EmbedJob(ModelRegistry models, TextLimits limits) {
        this.models = models;
        this.limits = limits;
    }

    public void run(Exchange exchange) {
        ValidatedJob job = exchange.getProperty(JobHeaders.JOB, ValidatedJob.class);
        List<String> texts = limits.check(job.texts());
        EmbeddingModel model = resolve(models, job);
        Embeddings embeddings = model.embed(texts, Priority.ofJob(job.priority()));

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", model.name());
        result.put("requested_model", job.model());
        result.put("dims", model.dimensions());
        result.put("input_type", job.inputType());
        result.put("count", embeddings.size());
        result.put("truncated", embeddings.truncated());
        result.put("vectors", embeddings.vectors());
        exchange.setProperty(JobHeaders.RESULT, result);
    }

    /** The model for the job, checked against the job's {@code dims}. */
    public static EmbeddingModel resolve(ModelRegistry models, ValidatedJob job) {
        EmbeddingModel model = models.resolve(job.model());
        Integer dims = job.dims();
        if (dims != null && dims != model.dimensions()) {
            throw new PermanentJobException("input.dims " + dims + " was requested but model " + model.name()
                    + " produces " + model.dimensions() + " dimensions; vectors are not resized");
        }
        return model;
    }
}
