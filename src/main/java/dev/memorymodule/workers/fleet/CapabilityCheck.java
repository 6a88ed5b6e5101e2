package dev.memorymodule.workers.fleet;

import java.util.ArrayList;
import java.util.List;

import dev.memorymodule.workers.job.ValidatedJob;

/**
 * What a job requires that the subject it came on could not say (the server already matched lane, type, trust
 * zone token and gpu/cpu): GPU, VRAM, trust zone and the embedding model, checked against this worker.
 */
public final class CapabilityCheck {

    private final WorkerCapabilities capabilities;
    private final List<String> servedModels;

    /**
     * @param capabilities this worker's capabilities
     * @param servedModels every {@code input.model} value this worker can serve (local names and aliases)
     */
    public CapabilityCheck(WorkerCapabilities capabilities, List<String> servedModels) {
        this.capabilities = capabilities;
        this.servedModels = List.copyOf(servedModels);
    }

    /** What this worker lacks for the job, one phrase each; empty when it can run it. */
    public List<String> missing(ValidatedJob job) {
        List<String> missing = new ArrayList<>();
        if (job.needsGpu() && !capabilities.gpu()) {
            missing.add("a GPU");
        }
        if (job.minVramGb() > capabilities.vramGb()) {
            missing.add(job.minVramGb() + " GB of VRAM (has " + capabilities.vramGb() + ")");
        }
        if (job.trustZone() != null && !capabilities.trustZones().contains(job.trustZone())) {
            missing.add("trust zone " + job.trustZone() + " (serves " + capabilities.trustZones() + ")");
        }
        String model = job.model();
        boolean usesModel = !"pg_write".equals(job.type()) && !"neo4j_write".equals(job.type());
        if (usesModel && model != null && !servedModels.contains(model)) {
            missing.add("embedding model " + model + " (serves " + servedModels + ")");
        }
        return missing;
    }
}
