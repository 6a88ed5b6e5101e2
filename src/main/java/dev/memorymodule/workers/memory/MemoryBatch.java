package dev.memorymodule.workers.memory;

import java.util.List;
import java.util.UUID;

import dev.memorymodule.workers.embed.EmbeddingModel;
import dev.memorymodule.workers.job.ValidatedJob;

/**
 * The memories one job writes, carried from step to step of its route (rows, vectors, graph). Ids are
 * deterministic, so every store gets the same id for the same memory and a repeated job overwrites itself.
 */
final class MemoryBatch {

    final ValidatedJob job;
    final String kind;
    final List<String> texts;
    final List<UUID> ids;
    EmbeddingModel model;
    float[][] vectors;

    MemoryBatch(ValidatedJob job, String kind, List<String> texts, List<UUID> ids) {
        this.job = job;
        this.kind = kind;
        this.texts = List.copyOf(texts);
        this.ids = List.copyOf(ids);
    }
}
