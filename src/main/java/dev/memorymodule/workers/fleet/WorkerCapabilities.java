package dev.memorymodule.workers.fleet;

import java.util.List;
import java.util.Map;

/**
 * What a worker can run, as the control plane sees it in the fleet bucket. It comes from configuration and from
 * what the worker actually loaded (models and their dimensions).
 *
 * @param workerId    the worker's id
 * @param pool        its capability pool
 * @param jobTypes    job types it runs
 * @param gpu         whether it has a GPU for embeddings
 * @param vramGb      GPU memory, 0 without a GPU
 * @param trustZones  trust zones whose jobs it may take
 * @param tier        its service tier
 * @param models      embedding models loaded, with their dimensions
 * @param concurrency jobs it runs at once per lane (online, offline, write)
 */
public record WorkerCapabilities(String workerId, String pool, List<String> jobTypes, boolean gpu, int vramGb,
                                 List<String> trustZones, String tier, Map<String, Integer> models,
                                 Map<String, Integer> concurrency) {
}
