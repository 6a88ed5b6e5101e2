package dev.memorymodule.workers.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.embed.BatchOptions;
import dev.memorymodule.workers.embed.EmbeddingDevice;
import dev.memorymodule.workers.embed.EmbeddingModel;
import dev.memorymodule.workers.embed.ModelRuntime;
import dev.memorymodule.workers.embed.ModelSpec;
import dev.memorymodule.workers.embed.Priority;
import dev.memorymodule.workers.testsupport.PrometheusText;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import io.nats.client.api.PublishAck;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * The benchmark command ({@code bin/bench}): each comparison runs side by side in one run, on the same machine and
 * servers, at 1x, 4x and 16x its base load, and is reported as a ratio, because absolute figures on a shared
 * two-core machine move by tens of percent from one minute to the next.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measures the worker: route versus raw DJL, batching gain, consumer overhead, stores.")
public final class Benchmarks implements Callable<Integer> {

    private static final int ROUTE_BATCH = 32;
    private static final int PREDICTORS = 2;
    private static final int EMBED_CONCURRENCY = 32;
    private static final int NOOP_CONCURRENCY = 8;
    private static final int FETCH_BATCH = 8;
    private static final int INDEX_TEXTS = 3;
    private static final Duration LOAD_TIMEOUT = Duration.ofMinutes(10);
    private static final String EMBED_MODEL = ModelSpec.MINILM_NAME;
    private static final String ORG = "5b0e8400-e29b-41d4-a716-446655440000";
    private static final Path NOOP_ROUTES = Path.of("src", "test", "resources", "bench", "noop-jobs.camel.yaml");

    @Option(names = "--quick", description = "small loads, for a check that the command works (about 3 minutes)")
    boolean quick;

    @Option(names = "--loads", split = ",", description = "load multipliers (default 1,4,16; with --quick 1,4)")
    List<Integer> loads;

    @Option(names = "--sections", split = ",",
            description = "route, batching, overhead, stores (default: all)")
    List<String> sections = List.of("route", "batching", "overhead", "stores");

    @Option(names = "--out", description = "file for the report (default target-bench/benchmarks-<time>.txt)")
    Path out;

    @Option(names = "--repeat", description = "times each side of a comparison runs, alternating "
            + "(default 3; with --quick 1)")
    Integer repeatOption;

    private int repeat;

    @Option(names = "--no-profile",
            description = "leave out the flight recordings of the workers that show where their time goes")
    boolean noProfile;

    private Report report;
    private BenchJobs jobs;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Benchmarks()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (loads == null) {
            loads = quick ? List.of(1, 4) : List.of(1, 4, 16);
        }
        repeat = repeatOption != null ? repeatOption : quick ? 1 : 3;
        if (out == null) {
            String stamp = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss").withZone(ZoneOffset.UTC)
                    .format(Instant.now());
            out = Path.of("target-bench", "benchmarks-" + stamp + ".txt");
        }
        report = new Report(System.out);
        jobs = new BenchJobs(42);
        report.line("# Memory Module workers benchmark, " + Instant.now());
        Machine.describe().forEach(report::line);
        report.line("mode: " + (quick ? "quick" : "full") + ", loads " + loads + ", sections " + sections
                + ", each comparison " + repeat + " times");

        try (BenchRig rig = new BenchRig()) {
            if (sections.contains("route") || sections.contains("batching")) {
                embedSections(rig);
            }
            if (sections.contains("overhead")) {
                consumerOverhead(rig);
            }
            if (sections.contains("stores")) {
                stores(rig);
            }
        } finally {
            report.summary();
            report.write(out);
            System.out.println();
            System.out.println("report written to " + out.toAbsolutePath());
        }
        return 0;
    }

    // --- route versus raw DJL, and batching on versus off ---

    private void embedSections(BenchRig rig) throws Exception {
        // two workers side by side: jobs of trust zone A go to the batching one, zone B to the other
        Map<String, String> batched = embedWorker("batched", "A");
        batched.put("mm.embedding.batch.max-texts", Integer.toString(ROUTE_BATCH));
        Map<String, String> unbatched = embedWorker("unbatched", "B");
        unbatched.put("mm.embedding.batch.enabled", "false");
        Path recording = recording("batched");
        Instant measured;
        try (BenchRig.Worker on = rig.startWorker("bench-batched", batched, recorded(recording));
             BenchRig.Worker off = rig.startWorker("bench-unbatched", unbatched);
             JobStream stream = new JobStream(rig.connection())) {
            warmUp(stream, "A");
            warmUp(stream, "B");
            measured = Instant.now();
            if (sections.contains("route")) {
                routeVersusRaw(stream, on);
            }
            if (sections.contains("batching")) {
                batchingGain(stream, on, off);
                modelBatchingGain();
                passCost();
            }
            report.figure("peak RSS, embed worker with batching (MiB)", Long.toString(on.process().peakRssMib()));
        }
        printProfile(recording, measured, "embed worker with batching (route and batching sections)");
        rig.deleteWorkConsumers();
    }

    private Map<String, String> embedWorker(String pool, String zone) {
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("mm.worker.pool", pool);
        properties.put("mm.worker.job-types", "embed");
        properties.put("mm.consumer.online.filter", "mm.online.*." + zone + ".*");
        properties.put("mm.consumer.offline.enabled", "false");
        properties.put("mm.consumer.write.enabled", "false");
        properties.put("mm.consumer.online.concurrency", Integer.toString(EMBED_CONCURRENCY));
        properties.put("mm.consumer.online.batch-size", Integer.toString(EMBED_CONCURRENCY));
        properties.put("mm.embedding.predictors", Integer.toString(PREDICTORS));
        properties.put("mm.db.pool-size", Integer.toString(EMBED_CONCURRENCY + 2));
        return properties;
    }

    private void routeVersusRaw(JobStream stream, BenchRig.Worker worker) throws Exception {
        int base = quick ? 2 : 8;
        report.section("Route versus raw DJL",
                EMBED_MODEL + ", passes of " + ROUTE_BATCH + " texts, " + PREDICTORS + " at a time on both sides.",
                "raw: DJL predictors on the same ONNX file, tokenize + forward + mean pooling, in this JVM.",
                "route: embed jobs of " + ROUTE_BATCH + " texts through a worker (own JVM): fetch, validate, ledger,",
                "embed, completed event with the vectors, ack; first publish to last event.",
                repeatNote());
        Report.Table table = new Report.Table("load", "jobs", "texts", "raw texts/s", "route texts/s", "ratio",
                "ratio range");
        Paired last = null;
        try (RawEmbedding raw = new RawEmbedding()) {
            raw.textsPerSecond(jobs.texts(ROUTE_BATCH * PREDICTORS * 2), ROUTE_BATCH, PREDICTORS);
            for (int load : loads) {
                int jobCount = base * load;
                List<String> texts = jobs.texts(jobCount * ROUTE_BATCH);
                last = paired(() -> raw.textsPerSecond(texts, ROUTE_BATCH, PREDICTORS), () -> {
                    List<JsonNode> batch = new ArrayList<>();
                    for (int j = 0; j < jobCount; j++) {
                        batch.add(zone(jobs.embed(texts.subList(j * ROUTE_BATCH, (j + 1) * ROUTE_BATCH)), "A"));
                    }
                    return texts.size() / run(stream, batch);
                });
                table.row(load + "x", jobCount, texts.size(), last.first(), last.second(), last.ratio(),
                        last.range());
            }
        }
        table.printTo(report);
        report.verdict("route / raw texts per second, at " + loads.get(loads.size() - 1) + "x", last.ratio(), 0.9);
        routeProfile(worker, "embed worker");
    }

    private void batchingGain(JobStream stream, BenchRig.Worker on, BenchRig.Worker off) throws Exception {
        int base = quick ? 16 : 64;
        report.section("Batching gain through the worker",
                "one-text online embed jobs, all published at once, " + EMBED_CONCURRENCY
                        + " in hand per worker; two workers side by side,",
                "one with batching (passes of up to " + ROUTE_BATCH + " texts), one without; jobs per second from "
                        + "first publish to last event.", repeatNote());
        Report.Table table = new Report.Table("load", "jobs", "off jobs/s", "on jobs/s", "gain", "gain range",
                "on: texts per pass");
        Paired last = null;
        for (int load : loads) {
            int count = base * load;
            PrometheusText before = on.metrics();
            last = paired(() -> count / run(stream, oneTextJobs(count, "B")),
                    () -> count / run(stream, oneTextJobs(count, "A")));
            PrometheusText after = on.metrics();
            double passes = delta(before, after, "mm_embedding_passes_total");
            double textsRun = delta(before, after, "mm_embedding_texts_total");
            table.row(load + "x", count, last.first(), last.second(), last.ratio(), last.range(),
                    passes == 0 ? 0.0 : textsRun / passes);
        }
        table.printTo(report);
        report.verdict("batching on / off, one-text jobs through the worker, " + loads.get(loads.size() - 1) + "x",
                last.ratio(), 5);
    }

    private List<JsonNode> oneTextJobs(int count, String zone) throws java.io.IOException {
        List<JsonNode> batch = new ArrayList<>(count);
        for (String text : jobs.texts(count)) {
            batch.add(zone(jobs.embed(List.of(text)), zone));
        }
        return batch;
    }

    /** The embedding stage alone: the same model in this JVM, batched and not, many callers of one text each. */
    private void modelBatchingGain() throws Exception {
        int callers = EMBED_CONCURRENCY;
        int perCaller = quick ? 2 : 8;
        report.section("Batching gain in the embedding stage alone",
                callers + " threads in this JVM, each embedding one text per call; the same model loaded twice,",
                "with batching (up to " + ROUTE_BATCH + " texts a pass) and without.", repeatNote());
        Report.Table table = new Report.Table("load", "texts", "off texts/s", "on texts/s", "gain", "gain range",
                "on: texts per pass");
        Paired last = null;
        try (EmbeddingModel off = EmbeddingModel.load(ModelSpec.allMiniLmL6V2(), EmbeddingModel.defaultCacheDir(),
                ModelRuntime.unbatched(PREDICTORS));
             EmbeddingModel on = EmbeddingModel.load(ModelSpec.allMiniLmL6V2(), EmbeddingModel.defaultCacheDir(),
                     new ModelRuntime(EmbeddingDevice.cpu(), PREDICTORS, new BatchOptions(true, ROUTE_BATCH,
                             BatchOptions.DEFAULT_MAX_TOKENS, BatchOptions.DEFAULT_ONLINE_WAIT,
                             BatchOptions.DEFAULT_OFFLINE_WAIT)))) {
            callersPerSecond(off, callers, 2);
            callersPerSecond(on, callers, 2);
            for (int load : loads) {
                int calls = perCaller * load;
                long passes = on.passes();
                long texts = on.textsEmbedded();
                last = paired(() -> callersPerSecond(off, callers, calls), () -> callersPerSecond(on, callers, calls));
                table.row(load + "x", callers * calls, last.first(), last.second(), last.ratio(), last.range(),
                        (double) (on.textsEmbedded() - texts) / Math.max(1, on.passes() - passes));
            }
        }
        table.printTo(report);
        report.verdict("batching on / off, embedding stage alone, " + loads.get(loads.size() - 1) + "x",
                last.ratio(), 5);
    }

    /** What a pass costs by its size on this machine: the ceiling on what batching can gain. */
    private void passCost() throws Exception {
        int texts = quick ? 128 : 512;
        report.section("Forward pass cost by pass size (raw DJL)",
                texts + " texts per figure (64 at size 1), one pass at a time and two at a time, each the best of "
                        + repeat + " tries;",
                "a size's texts/s over size 1's is the most batching can gain in the embedding stage here.");
        Report.Table table = new Report.Table("texts per pass", "1 at a time texts/s", "2 at a time texts/s",
                "ms per pass (1 at a time)", "gain over size 1");
        try (RawEmbedding raw = new RawEmbedding()) {
            raw.textsPerSecond(jobs.texts(256), ROUTE_BATCH, PREDICTORS);
            double single = 0;
            for (int size : new int[] {1, 4, 16, 32, 64, 128}) {
                List<String> sample = jobs.texts(size == 1 ? 64 : texts);
                double one = 0;
                double two = 0;
                for (int attempt = 0; attempt < repeat; attempt++) {
                    one = Math.max(one, raw.textsPerSecond(sample, size, 1));
                    two = Math.max(two, raw.textsPerSecond(sample, size, 2));
                }
                if (size == 1) {
                    single = Math.max(one, two);
                }
                table.row(size, one, two, size / one * 1000, Math.max(one, two) / single);
            }
        }
        table.printTo(report);
    }

    private double callersPerSecond(EmbeddingModel model, int callers, int callsEach) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(callers);
        try {
            List<Future<?>> done = new ArrayList<>();
            long started = System.nanoTime();
            for (int c = 0; c < callers; c++) {
                List<String> texts = jobs.texts(callsEach);
                done.add(pool.submit(() -> {
                    for (String text : texts) {
                        model.embed(List.of(text), Priority.ONLINE);
                    }
                    return null;
                }));
            }
            for (Future<?> future : done) {
                future.get();
            }
            return callers * callsEach / ((System.nanoTime() - started) / 1e9);
        } finally {
            pool.shutdownNow();
        }
    }

    // --- consumer overhead ---

    private void consumerOverhead(BenchRig rig) throws Exception {
        int base = quick ? 40 : 250;
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("mm.config", BenchRig.configWithJobRoutes(NOOP_ROUTES).toString());
        properties.put("mm.worker.pool", "noop");
        properties.put("mm.worker.job-types", "embed");
        properties.put("mm.consumer.offline.enabled", "false");
        properties.put("mm.consumer.write.enabled", "false");
        properties.put("mm.consumer.online.concurrency", Integer.toString(NOOP_CONCURRENCY));
        properties.put("mm.consumer.online.batch-size", Integer.toString(FETCH_BATCH));
        report.section("Consumer overhead",
                "no-op embed jobs (the job route replaced by one that does nothing) through the whole pipeline:",
                "fetch, validation, deadline, idempotency ledger in PostgreSQL, routing, completed event stored,",
                "ack; " + NOOP_CONCURRENCY + " in hand, fetches of " + FETCH_BATCH
                        + ". Against: a bare jnats loop on the same server fetching batches of " + FETCH_BATCH
                        + " from a durable pull consumer and acking each (ackSync, as the worker does).",
                repeatNote());
        Report.Table table = new Report.Table("load", "jobs", "bare msgs/s", "pipeline jobs/s", "ratio",
                "ratio range", "pipeline ms/job");
        double lastRatio = 0;
        double lastRate = 0;
        byte[] payload = WorkerHarness.bytes(jobs.embed(List.of(jobs.text())));
        Path recording = recording("noop");
        Instant measured;
        try (BenchRig.Worker worker = rig.startWorker("bench-noop", properties, recorded(recording));
             JobStream stream = new JobStream(rig.connection())) {
            warmUp(stream, "A");
            measured = Instant.now();
            BareConsumer.messagesPerSecond(rig.connection(), payload, base, FETCH_BATCH);
            for (int load : loads) {
                int count = base * load;
                Paired pair = paired(() -> BareConsumer.messagesPerSecond(rig.connection(), payload, count,
                        FETCH_BATCH), () -> {
                    List<JsonNode> batch = new ArrayList<>();
                    for (int i = 0; i < count; i++) {
                        batch.add(jobs.embed(List.of(jobs.text())));
                    }
                    return count / run(stream, batch);
                });
                lastRatio = pair.ratio();
                lastRate = pair.second();
                table.row(load + "x", count, pair.first(), pair.second(), pair.ratio(), pair.range(),
                        1000.0 / pair.second());
            }
            table.printTo(report);
            routeProfile(worker, "no-op worker");
            report.figure("peak RSS, no-op worker (MiB)", Long.toString(worker.process().peakRssMib()));
        }
        printProfile(recording, measured, "no-op worker");
        report.figure("pipeline / bare jnats, no-op jobs, " + loads.get(loads.size() - 1) + "x",
                String.format(Locale.ROOT, "%.3f", lastRatio));
        report.figure("no-op jobs per second through the pipeline", String.format(Locale.ROOT, "%.0f", lastRate));
        rig.deleteWorkConsumers();
    }

    // --- stores: index throughput, retrieve latency, memory ---

    private void stores(BenchRig rig) throws Exception {
        int indexBase = quick ? 2 : 16;
        double rateBase = 2;
        int seconds = quick ? 3 : 15;
        rig.ensureNeo4j();
        Map<String, String> properties = new LinkedHashMap<>();
        properties.put("mm.worker.pool", "stores");
        properties.put("mm.worker.job-types", "index,retrieve");
        properties.put("mm.consumer.online.concurrency", "8");
        properties.put("mm.consumer.offline.concurrency", "4");
        properties.put("mm.db.pool-size", "16");
        report.section("Stores: index throughput, retrieve latency, worker memory",
                "PostgreSQL rows, Neo4j graph and Neo4j vector index (the default backend); index jobs of "
                        + INDEX_TEXTS + " memories, offline, 4 in hand;",
                "retrieve jobs (top 5, scoped to the org) sent at a fixed rate for " + seconds
                        + " s each, online, 8 in hand;",
                "latency from publish to outcome event at the client; peak RSS is the worker JVM's VmHWM so far.");
        Report.Table table = new Report.Table("load", "index jobs", "index jobs/s", "memories/s", "retrieve/s",
                "retrieves", "p50 ms", "p99 ms", "not completed", "peak RSS MiB");
        Path recording = recording("stores");
        Instant measured;
        try (BenchRig.Worker worker = rig.startWorker("bench-stores", properties, recorded(recording));
             JobStream stream = new JobStream(rig.connection())) {
            run(stream, List.of(jobs.index(ORG, jobs.texts(INDEX_TEXTS))));
            measured = Instant.now();
            for (int load : loads) {
                int count = indexBase * load;
                List<JsonNode> index = new ArrayList<>();
                for (int i = 0; i < count; i++) {
                    index.add(jobs.index(ORG, jobs.texts(INDEX_TEXTS)));
                }
                double indexRate = count / run(stream, index);

                double rate = rateBase * load;
                List<JsonNode> retrieves = new ArrayList<>();
                for (int i = 0; i < (int) Math.round(rate * seconds); i++) {
                    retrieves.add(jobs.retrieve(ORG, "What did " + jobs.text().toLowerCase(Locale.ROOT)));
                }
                List<Double> latencies = paced(stream, retrieves, rate);
                Map<String, Integer> outcomes = stream.outcomeCounts(BenchJobs.ids(retrieves));
                int notCompleted = retrieves.size() - outcomes.getOrDefault("completed", 0);
                table.row(load + "x", count, indexRate, indexRate * INDEX_TEXTS, rate, retrieves.size(),
                        Report.percentile(latencies, 50), Report.percentile(latencies, 99), notCompleted,
                        worker.process().peakRssMib());
            }
            table.printTo(report);
            routeProfile(worker, "stores worker");
            report.figure("peak RSS, stores worker (MiB)", Long.toString(worker.process().peakRssMib()));
        }
        printProfile(recording, measured, "stores worker");
        rig.deleteWorkConsumers();
    }

    /** Publishes the jobs at {@code perSecond}, on schedule whatever the answers do; latencies of all of them. */
    private List<Double> paced(JobStream stream, List<JsonNode> batch, double perSecond) throws Exception {
        long interval = (long) (1e9 / perSecond);
        long start = System.nanoTime();
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            long due = start + i * interval;
            long wait = due - System.nanoTime();
            if (wait > 0) {
                TimeUnit.NANOSECONDS.sleep(wait);
            }
            acks.add(stream.publishAsync(batch.get(i)));
        }
        for (CompletableFuture<PublishAck> ack : acks) {
            ack.get(30, TimeUnit.SECONDS);
        }
        List<String> ids = BenchJobs.ids(batch);
        stream.awaitAll(ids, LOAD_TIMEOUT);
        return stream.latenciesMillis(ids);
    }

    // --- helpers ---

    /** One measurement of a comparison, in units per second. */
    @FunctionalInterface
    private interface Measure {
        double perSecond() throws Exception;
    }

    /** Medians of both sides over the repeats, and the median, lowest and highest ratio second / first. */
    private record Paired(double first, double second, double ratio, double lowest, double highest) {

        String range() {
            return String.format(Locale.ROOT, "%.2f-%.2f", lowest, highest);
        }
    }

    /**
     * Runs both sides {@link #repeat} times, alternating which goes first, so that the machine's drift from one
     * minute to the next falls on both; the ratio of each round is taken before the medians.
     */
    private Paired paired(Measure first, Measure second) throws Exception {
        List<Double> firsts = new ArrayList<>();
        List<Double> seconds = new ArrayList<>();
        List<Double> ratios = new ArrayList<>();
        for (int round = 0; round < repeat; round++) {
            double a;
            double b;
            if (round % 2 == 0) {
                a = first.perSecond();
                b = second.perSecond();
            } else {
                b = second.perSecond();
                a = first.perSecond();
            }
            firsts.add(a);
            seconds.add(b);
            ratios.add(b / a);
        }
        return new Paired(Report.percentile(firsts, 50), Report.percentile(seconds, 50),
                Report.percentile(ratios, 50), Report.percentile(ratios, 0), Report.percentile(ratios, 100));
    }

    private String repeatNote() {
        return repeat == 1 ? "one round (--repeat 1): no spread is known."
                : repeat + " rounds, alternating which side goes first; medians, and the range of the per-round ratio.";
    }

    private Path recording(String name) throws java.io.IOException {
        Path file = Files.createTempFile("mm-bench-" + name + "-", ".jfr");
        Files.delete(file);
        file.toFile().deleteOnExit();
        return file;
    }

    private List<String> recorded(Path recording) {
        return noProfile ? List.of() : List.of(Profile.recordingOption(recording));
    }

    private void printProfile(Path recording, Instant measuredFrom, String which) throws Exception {
        if (!noProfile) {
            Profile.read(recording, measuredFrom).printTo(report, which);
            Files.deleteIfExists(recording);
        }
    }

    /** Publishes all jobs at once and waits for every outcome; seconds from first publish to last outcome. */
    private static double run(JobStream stream, List<JsonNode> batch) throws Exception {
        List<String> ids = BenchJobs.ids(batch);
        stream.publishAll(batch);
        stream.awaitAll(ids, LOAD_TIMEOUT);
        Map<String, Integer> outcomes = stream.outcomeCounts(ids);
        if (outcomes.getOrDefault("completed", 0) != ids.size()) {
            throw new IllegalStateException("not every benchmark job completed: " + outcomes);
        }
        return stream.spanSeconds(ids);
    }

    private void warmUp(JobStream stream, String zone) throws Exception {
        List<JsonNode> warm = new ArrayList<>();
        for (int i = 0; i < 8; i++) {
            warm.add(zone(jobs.embed(jobs.texts(4)), zone));
        }
        run(stream, warm);
    }

    private static ObjectNode zone(ObjectNode job, String zone) {
        ((ObjectNode) job.path("requirements")).put("trust_zone", zone);
        return job;
    }

    private static double delta(PrometheusText before, PrometheusText after, String metric) {
        return after.sum(metric, "model", EMBED_MODEL) - before.sum(metric, "model", EMBED_MODEL);
    }

    /** Mean time per exchange of each route that ran, from Camel's route timers: where a job's time goes. */
    private void routeProfile(BenchRig.Worker worker, String which) throws Exception {
        PrometheusText metrics = worker.metrics();
        Report.Table table = new Report.Table("route", "exchanges", "mean ms", "total s");
        metrics.find("camel_route_policy_seconds_count").stream()
                // the sample without a route id is the whole context's, the sum of the ingress routes
                .filter(sample -> sample.value() > 0 && sample.labels().get("routeId") != null
                        && !sample.labels().get("routeId").isBlank())
                .sorted((a, b) -> Double.compare(
                        metrics.sum("camel_route_policy_seconds_sum", "routeId", b.labels().get("routeId")),
                        metrics.sum("camel_route_policy_seconds_sum", "routeId", a.labels().get("routeId"))))
                .forEach(sample -> {
                    String route = sample.labels().get("routeId");
                    double total = metrics.sum("camel_route_policy_seconds_sum", "routeId", route);
                    table.row(route, (long) sample.value(), total / sample.value() * 1000, total);
                });
        report.line("");
        report.line("   where the time goes, " + which + " (Camel route timers over the whole run; routes nest, so "
                + "ingress includes the rest):");
        table.printTo(report);
    }
}
