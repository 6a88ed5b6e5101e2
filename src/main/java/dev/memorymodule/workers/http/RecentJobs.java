package dev.memorymodule.workers.http;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The ids of the last jobs this worker accepted over HTTP, so a status request can say {@code pending} for a job
 * that is queued but has no outcome yet. Work-queue streams cannot be searched by job id, so a job submitted
 * through another worker, or before a restart, reads as unknown until its outcome is stored.
 */
final class RecentJobs {

    private final Map<String, Boolean> ids;

    /** @param capacity how many ids to keep; the oldest is forgotten first */
    RecentJobs(int capacity) {
        this.ids = new LinkedHashMap<>(16, 0.75f, false) {
            @Override
            protected boolean removeEldestEntry(Map.Entry<String, Boolean> eldest) {
                return size() > capacity;
            }
        };
    }

    synchronized void add(String jobId) {
        ids.put(jobId, Boolean.TRUE);
    }

    synchronized boolean contains(String jobId) {
        return ids.containsKey(jobId);
    }
}
