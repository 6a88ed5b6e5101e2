package dev.memorymodule.workers.store;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.memorymodule.workers.embed.TextLimits;
import dev.memorymodule.workers.job.JobHeaders;
import dev.memorymodule.workers.job.ValidatedJob;
import org.apache.camel.Exchange;

/**
 * The {@code pg_write} job: each text of {@code input.text} becomes a memory record of the job's tenant and
 * scope. The result lists the memory ids and how many were new (zero on a repeat).
 */
public class PgWriteJob {

    private final MemoryStore store;
    private final TextLimits limits;

    public PgWriteJob(MemoryStore store, TextLimits limits) {
        this.store = store;
        this.limits = limits;
    }

    public void run(Exchange exchange) {
        ValidatedJob job = exchange.getProperty(JobHeaders.JOB, ValidatedJob.class);
        List<String> texts = limits.check(job.texts());
        MemoryStore.WriteResult written = store.write(job, texts, "memory");

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("memory_ids", written.memoryIds());
        result.put("written", written.inserted());
        result.put("already_present", texts.size() - written.inserted());
        exchange.setProperty(JobHeaders.RESULT, result);
    }
}
