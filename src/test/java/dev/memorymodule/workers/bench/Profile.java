package dev.memorymodule.workers.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedMethod;
import jdk.jfr.consumer.RecordingFile;

/**
 * Where a worker's CPU time goes, from a flight recording of its JVM: the share of sampled stacks that pass through
 * each part (inclusive), and the methods most often on top (self). Samples before the measured phase, the worker's
 * start-up, are left out. Threads inside ONNX Runtime's own native pool are not Java threads and are not sampled;
 * the Java thread waiting on a forward pass is, as native time under the embedding part.
 */
final class Profile {

    private static final Set<String> SAMPLE_EVENTS = Set.of("jdk.ExecutionSample", "jdk.NativeMethodSample");
    private static final List<String> IDLE_PREFIXES = List.of("jdk.internal.misc.Unsafe.park",
            "java.lang.Thread.sleep", "java.lang.Object.wait", "sun.nio.ch.", "java.net.SocketInputStream",
            "java.net.PlainSocketImpl", "io.netty.channel.epoll.Native.epollWait", "java.io.FileInputStream.read");

    /** Parts of the worker by the package prefixes of their frames; the first match on a stack counts. */
    private static final Map<String, List<String>> PARTS = parts();

    private final Map<String, Integer> inclusive = new HashMap<>();
    private final Map<String, Integer> top = new HashMap<>();
    private int samples;
    private int idle;

    private Profile() {
    }

    /** The JVM option that records a worker's whole life into {@code file}, written when it exits. */
    static String recordingOption(Path file) {
        return "-XX:StartFlightRecording=filename=" + file + ",settings=profile,dumponexit=true";
    }

    static Profile read(Path file, Instant from) throws IOException {
        Profile profile = new Profile();
        if (!Files.isRegularFile(file)) {
            return profile;
        }
        for (RecordedEvent event : RecordingFile.readAllEvents(file)) {
            if (SAMPLE_EVENTS.contains(event.getEventType().getName()) && !event.getStartTime().isBefore(from)
                    && event.getStackTrace() != null) {
                profile.add(event.getStackTrace().getFrames());
            }
        }
        return profile;
    }

    private void add(List<RecordedFrame> frames) {
        if (frames.isEmpty()) {
            return;
        }
        String topMethod = name(frames.get(0).getMethod());
        if (isIdle(topMethod)) {
            idle++;
            return;
        }
        samples++;
        top.merge(topMethod, 1, Integer::sum);
        for (Map.Entry<String, List<String>> part : PARTS.entrySet()) {
            if (frames.stream().anyMatch(frame -> part.getValue().stream()
                    .anyMatch(prefix -> name(frame.getMethod()).startsWith(prefix)))) {
                inclusive.merge(part.getKey(), 1, Integer::sum);
            }
        }
    }

    void printTo(Report report, String which) {
        report.line("");
        if (samples == 0) {
            report.line("   profile, " + which + ": no samples (recording missing or empty)");
            return;
        }
        report.line("   profile, " + which + ": " + samples + " busy samples after start-up (" + idle
                + " more threads were waiting); share of busy samples through each part (parts nest):");
        Report.Table parts = new Report.Table("part", "share %");
        inclusive.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue())
                .forEach(entry -> parts.row(entry.getKey(), 100.0 * entry.getValue() / samples));
        parts.printTo(report);
        report.line("   methods most often on top of the stack:");
        Report.Table methods = new Report.Table("method", "share %");
        top.entrySet().stream().sorted((a, b) -> b.getValue() - a.getValue()).limit(12)
                .forEach(entry -> methods.row(entry.getKey(), 100.0 * entry.getValue() / samples));
        methods.printTo(report);
    }

    /** A thread parked, sleeping or blocked in a native wait for I/O: sampled, but not using the CPU. */
    private static boolean isIdle(String method) {
        return IDLE_PREFIXES.stream().anyMatch(method::startsWith);
    }

    private static String name(RecordedMethod method) {
        return method.getType().getName() + "." + method.getName();
    }

    private static Map<String, List<String>> parts() {
        Map<String, List<String>> parts = new LinkedHashMap<>();
        parts.put("embedding: ONNX Runtime forward pass", List.of("ai.onnxruntime.OrtSession"));
        parts.put("embedding: tokenizer", List.of("ai.djl.huggingface.tokenizers"));
        parts.put("embedding: DJL arrays and pooling", List.of("ai.djl.onnxruntime.engine.OrtNDArray",
                "ai.djl.ndarray", "dev.memorymodule.workers.embed.EmbeddingTranslator"));
        parts.put("job validation (JSON schema)", List.of("com.networknt.schema",
                "dev.memorymodule.workers.job.JobValidator"));
        parts.put("JSON parse and write (Jackson)", List.of("com.fasterxml.jackson"));
        parts.put("PostgreSQL (driver, pool)", List.of("org.postgresql", "com.zaxxer.hikari"));
        parts.put("Neo4j driver", List.of("org.neo4j.driver"));
        parts.put("NATS client", List.of("io.nats.client"));
        parts.put("idempotency ledger", List.of("dev.memorymodule.workers.job.JobLedger"));
        parts.put("outcome events", List.of("dev.memorymodule.workers.job.JobEvents"));
        parts.put("metrics (Micrometer)", List.of("io.micrometer", "org.apache.camel.component.micrometer"));
        parts.put("logging (Log4j)", List.of("org.apache.logging.log4j"));
        parts.put("Camel routing", List.of("org.apache.camel"));
        return parts;
    }
}
