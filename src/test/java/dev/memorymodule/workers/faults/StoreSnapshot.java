package dev.memorymodule.workers.faults;

import java.util.List;
import java.util.Map;

/**
 * What the stores held once a run drained.
 *
 * @param rows        memory ids of the PostgreSQL rows
 * @param vectorStore which vector store the workers used
 * @param vectors     ids of its points
 * @param nodes       ids of Neo4j's memory nodes
 * @param deadLetters messages in MM_DLQ
 * @param ledger      idempotency claims by status
 */
record StoreSnapshot(List<String> rows, String vectorStore, List<String> vectors, List<String> nodes,
                     long deadLetters, Map<String, Long> ledger) {
}
