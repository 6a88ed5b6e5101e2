package dev.memorymodule.workers.memory;

import java.text.BreakIterator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.memorymodule.workers.embed.EmbedJob;
import dev.memorymodule.workers.embed.EmbeddingModel;
import dev.memorymodule.workers.embed.ModelRegistry;
import dev.memorymodule.workers.embed.Priority;
import dev.memorymodule.workers.embed.TextLimits;
import dev.memorymodule.workers.job.JobHeaders;
import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.ValidatedJob;
import dev.memorymodule.workers.store.MemoryStore;
import org.apache.camel.Exchange;

/**
 * The {@code summarize} job, extractive: the sentences of the given texts (or, when the job gives none but a
 * {@code scope.thread_id}, of that thread's stored memories) are embedded, scored by closeness to their centroid,
 * and picked by maximal marginal relevance so the summary covers the texts without repeating itself. The chosen
 * sentences keep their original order. {@code input.max_sentences} (an extension, 1 to 20, default 3) sets the
 * length. With an OpenAI-compatible chat endpoint configured ({@link ChatSummarizer}, off by default) the summary is
 * written by that model instead, from the texts and the extractive picks. The summary then goes on as a memory of
 * kind {@code summary} through the same store steps as any memory.
 */
public class SummarizeJob {

    public static final int DEFAULT_SENTENCES = 3;
    public static final int MAX_SENTENCES = 20;
    /** Most sentences considered; beyond this the first ones are kept, so cost stays bounded. */
    public static final int MAX_CANDIDATES = 512;
    /** Most thread memories read for a thread summary. */
    public static final int MAX_THREAD_MEMORIES = 500;
    /** Weight of relevance against novelty in the selection. */
    private static final double MMR_LAMBDA = 0.7;

    private final ModelRegistry models;
    private final MemoryStore rows;
    private final TextLimits limits;
    private final ChatSummarizer chat;

    /** @param chat abstractive summaries from a chat endpoint, or null for extractive ones only (the default) */
    public SummarizeJob(ModelRegistry models, MemoryStore rows, TextLimits limits, ChatSummarizer chat) {
        this.models = models;
        this.rows = rows;
        this.limits = limits;
        this.chat = chat;
    }

    /** Computes the summary and starts the memory batch that stores it. */
    public void run(Exchange exchange) {
        ValidatedJob job = exchange.getProperty(JobHeaders.JOB, ValidatedJob.class);
        List<String> sources = job.texts();
        String source = "texts";
        if (sources.isEmpty()) {
            if (job.threadId() == null) {
                throw new PermanentJobException("a summarize job needs input.text or a scope.thread_id to summarize");
            }
            sources = rows.textsOfThread(job.orgId(), job.threadId(), MAX_THREAD_MEMORIES);
            source = "thread";
            if (sources.isEmpty()) {
                throw new PermanentJobException("thread " + job.threadId() + " has no memories to summarize");
            }
        } else {
            limits.check(sources);
        }
        int wanted = sentences(job.node().path("input").path("max_sentences"));
        EmbeddingModel model = EmbedJob.resolve(models, job);

        List<String> sentences = split(sources);
        float[][] vectors = model.embed(sentences, Priority.ofJob(job.priority())).vectors();
        String extractive = String.join(" ", select(sentences, vectors, wanted));
        String summary = chat == null ? extractive : chat.summarize(sources, extractive);

        MemoryBatch batch = MemoryJobs.start(exchange, job, "summary", List.of(summary));
        batch.model = model;
        Map<String, Object> done = MemoryJobs.done(exchange);
        done.put("summary", summary);
        done.put("source", source);
        done.put("method", chat == null ? "extractive" : "abstractive");
        done.put("sentences_considered", sentences.size());
    }

    static int sentences(JsonNode value) {
        if (value.isMissingNode() || value.isNull()) {
            return DEFAULT_SENTENCES;
        }
        if (!value.isIntegralNumber() || value.asInt() < 1 || value.asInt() > MAX_SENTENCES) {
            throw new PermanentJobException("input.max_sentences must be an integer from 1 to " + MAX_SENTENCES
                    + "; got " + value);
        }
        return value.asInt();
    }

    static List<String> split(List<String> texts) {
        List<String> sentences = new ArrayList<>();
        BreakIterator boundaries = BreakIterator.getSentenceInstance(Locale.ROOT);
        for (String text : texts) {
            boundaries.setText(text);
            int start = boundaries.first();
            for (int end = boundaries.next(); end != BreakIterator.DONE; start = end, end = boundaries.next()) {
                String sentence = text.substring(start, end).strip();
                if (!sentence.isEmpty() && sentences.size() < MAX_CANDIDATES) {
                    sentences.add(sentence);
                }
            }
        }
        return sentences;
    }

    /** Centroid relevance with maximal marginal relevance; the picks come back in their original order. */
    static List<String> select(List<String> sentences, float[][] vectors, int wanted) {
        int n = sentences.size();
        float[] centroid = new float[vectors[0].length];
        for (float[] vector : vectors) {
            for (int d = 0; d < vector.length; d++) {
                centroid[d] += vector[d];
            }
        }
        double[] relevance = new double[n];
        for (int i = 0; i < n; i++) {
            relevance[i] = dot(vectors[i], centroid);
        }
        List<Integer> picked = new ArrayList<>();
        while (picked.size() < Math.min(wanted, n)) {
            int best = -1;
            double bestScore = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                if (picked.contains(i)) {
                    continue;
                }
                double redundancy = 0;
                for (int j : picked) {
                    redundancy = Math.max(redundancy, dot(vectors[i], vectors[j]));
                }
                double score = MMR_LAMBDA * relevance[i] / n - (1 - MMR_LAMBDA) * redundancy;
                if (score > bestScore) {
                    bestScore = score;
                    best = i;
                }
            }
            picked.add(best);
        }
        picked.sort(Comparator.naturalOrder());
        List<String> summary = new ArrayList<>(picked.size());
        for (int i : picked) {
            summary.add(sentences.get(i));
        }
        return summary;
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
