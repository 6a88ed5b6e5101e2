package dev.memorymodule.workers.faults;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.memorymodule.workers.testsupport.FreePorts;
import dev.memorymodule.workers.testsupport.WorkerProcess;

/**
 * The workers of a fault run, each in a JVM of its own so it can be killed or stopped as a pod would be. A slot
 * holds one worker at a time; replacing it starts the next generation with a new worker id, as a Deployment does.
 * Every worker's log is kept in the run's log folder.
 */
final class WorkerFleet implements AutoCloseable {

    // two JVMs loading the embedding model on a shared two-core machine take a while
    private static final Duration START_TIMEOUT = Duration.ofSeconds(240);

    private final Map<String, String> properties;
    private final String prefix;
    private final Path logDir;
    private final WorkerProcess[] slots;
    private final int[] generations;
    private final List<String> startedIds = new ArrayList<>();

    WorkerFleet(Map<String, String> properties, String prefix, int size, Path logDir) throws IOException {
        this.properties = Map.copyOf(properties);
        this.prefix = prefix;
        this.logDir = Files.createDirectories(logDir);
        this.slots = new WorkerProcess[size];
        this.generations = new int[size];
    }

    /** Starts a worker in every slot, all at once, and waits until each has started. */
    void start() throws Exception {
        for (int slot = 0; slot < slots.length; slot++) {
            slots[slot] = launch(slot);
        }
        for (WorkerProcess worker : slots) {
            worker.awaitStarted(START_TIMEOUT);
        }
    }

    String id(int slot) {
        return prefix + "-" + slot + "-" + generations[slot];
    }

    /** SIGKILL: no drain, no acks, no goodbye. */
    void kill(int slot) throws Exception {
        slots[slot].kill();
        keepLog(slot);
    }

    /** SIGTERM, waiting for the worker to drain and exit; returns its exit status. */
    int terminate(int slot, Duration timeout) throws Exception {
        int status = slots[slot].terminate(timeout);
        keepLog(slot);
        return status;
    }

    /** Starts the next generation in a slot whose worker is gone, and waits until it has started. */
    void replace(int slot) throws Exception {
        if (slots[slot].isAlive()) {
            throw new IllegalStateException(id(slot) + " still runs; kill or stop it first");
        }
        slots[slot].close();
        generations[slot]++;
        slots[slot] = launch(slot);
        slots[slot].awaitStarted(START_TIMEOUT);
    }

    /** The log of the worker now in a slot, so far. */
    String log(int slot) throws IOException {
        return slots[slot].logText();
    }

    /** Every worker started, by id, in order. */
    List<String> startedIds() {
        return List.copyOf(startedIds);
    }

    @Override
    public void close() throws Exception {
        for (int slot = 0; slot < slots.length; slot++) {
            if (slots[slot] != null) {
                slots[slot].kill();
                keepLog(slot);
                slots[slot].close();
            }
        }
    }

    private WorkerProcess launch(int slot) throws IOException {
        Map<String, String> worker = new HashMap<>(properties);
        worker.put("mm.worker.id", id(slot));
        worker.put("mm.http.port", Integer.toString(FreePorts.pick()));
        startedIds.add(id(slot));
        return WorkerProcess.start(worker);
    }

    private void keepLog(int slot) throws IOException {
        Files.writeString(logDir.resolve(id(slot) + ".log"), slots[slot].logText());
    }
}
