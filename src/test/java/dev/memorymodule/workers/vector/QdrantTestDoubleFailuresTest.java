package dev.memorymodule.workers.vector;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import dev.memorymodule.workers.job.TransientJobException;
import io.grpc.Status;
import org.junit.jupiter.api.Test;

/**
 * The failure switch of the Qdrant test double, which the fault suite turns on for its vector error storm: failed
 * calls come back as UNAVAILABLE, which the store takes as transient, some of them after the write landed, and
 * switching it off heals at once.
 */
class QdrantTestDoubleFailuresTest {

    private static final String MODEL = "failures-test";
    private static final int DIMS = 4;
    private static final int ATTEMPTS = 40;
    private static final String ORG = "0b6f4a52-0c39-4b5a-9f0e-6f1f6d1a0a01";

    @Test
    void everyFailedCallIsUnavailableSomeWritesLandAnywayAndStoppingHeals() throws Exception {
        try (QdrantTestDouble qdrant = QdrantTestDouble.start();
             QdrantVectorStore store = QdrantVectorStore.fromUrl(qdrant.url(), null)) {
            store.ensureCollection(MODEL, DIMS);
            String collection = QdrantPoints.collectionName(MODEL, DIMS);

            qdrant.failCalls(1.0, Status.Code.UNAVAILABLE);

            List<VectorPoint> first = List.of(point());
            assertThatThrownBy(() -> store.upsert(MODEL, DIMS, first))
                    .isInstanceOf(TransientJobException.class)
                    .hasMessageContaining("UNAVAILABLE");
            // straight through the client: the store would stop at its collection check once a call failed
            for (int i = 0; i < ATTEMPTS; i++) {
                var call = store.client().upsertAsync(collection, QdrantPoints.toPointStructs(List.of(point())));
                assertThatThrownBy(call::get).isInstanceOf(ExecutionException.class)
                        .hasMessageContaining("UNAVAILABLE");
            }
            assertThat(qdrant.failedCalls()).isEqualTo(ATTEMPTS + 1);
            // the caller saw a failure every time, yet some writes took effect: a retry must not double them
            int landed = qdrant.pointIds(collection).size();
            assertThat(landed).isBetween(1, ATTEMPTS);

            qdrant.stopFailing();

            VectorPoint healed = point();
            store.upsert(MODEL, DIMS, List.of(healed));
            assertThat(qdrant.pointIds(collection)).contains(healed.id().toString()).hasSize(landed + 1);
            assertThat(qdrant.failedCalls()).isEqualTo(ATTEMPTS + 1);
        }
    }

    private static VectorPoint point() {
        UUID id = UUID.randomUUID();
        return new VectorPoint(id, new float[] {1, 0, 0, 0}, new MemoryPayload(ORG, null, null, null, null,
                id.toString(), "text", "memory", "01J9Z8Q4V6W3X2Y1Z0A9B8C7D6", "2025-01-01T00:00:00Z"));
    }
}
