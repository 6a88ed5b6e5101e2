package dev.memorymodule.workers.vector;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutionException;

import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.TransientJobException;
import dev.memorymodule.workers.vector.QdrantErrors.WhenMissing;
import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Which Qdrant failures a retry can cure, for the codes Qdrant and the gRPC transport actually produce. */
class QdrantErrorsTest {

    private static final String OPERATION = "upsert into mm_x_4";

    @ParameterizedTest
    @EnumSource(value = Status.Code.class, names = {"UNAVAILABLE", "DEADLINE_EXCEEDED", "RESOURCE_EXHAUSTED",
            "INTERNAL", "UNKNOWN", "ABORTED", "CANCELLED", "FAILED_PRECONDITION"})
    void outagesAndOverloadAreTransient(Status.Code code) {
        RuntimeException translated = translate(code, "busy", WhenMissing.FAIL);

        assertThat(translated).isInstanceOf(TransientJobException.class)
                .hasMessage("Qdrant " + OPERATION + " failed (" + code + "): busy");
    }

    @ParameterizedTest
    @EnumSource(value = Status.Code.class, names = {"INVALID_ARGUMENT", "OUT_OF_RANGE", "UNIMPLEMENTED"})
    void rejectedRequestsArePermanent(Status.Code code) {
        assertThat(translate(code, "Wrong input: Vector dimension error: expected dim: 4, got 3", WhenMissing.RETRY))
                .isInstanceOf(PermanentJobException.class)
                .hasMessageContaining("Vector dimension error: expected dim: 4, got 3");
    }

    @Test
    void aMissingCollectionIsPermanentForReadsAndTransientForWrites() {
        String reason = "Not found: Collection `mm_x_4` doesn't exist!";

        assertThat(translate(Status.Code.NOT_FOUND, reason, WhenMissing.FAIL))
                .isInstanceOf(PermanentJobException.class).hasMessageContaining(reason);
        assertThat(translate(Status.Code.NOT_FOUND, reason, WhenMissing.RETRY))
                .isInstanceOf(TransientJobException.class).hasMessageContaining(reason);
    }

    @Test
    void refusedCredentialsAreTransientAndPointAtTheKey() {
        assertThat(translate(Status.Code.UNAUTHENTICATED, "Invalid API key or JWT", WhenMissing.FAIL))
                .isInstanceOf(TransientJobException.class)
                .hasMessageContaining("Invalid API key or JWT")
                .hasMessageContaining("API key of this worker");
    }

    @Test
    void failuresWithoutAGrpcStatusAreTransient() {
        RuntimeException translated = QdrantErrors.translate(new ExecutionException(new IllegalStateException("odd")),
                OPERATION, WhenMissing.FAIL);

        assertThat(translated).isInstanceOf(TransientJobException.class).hasMessageContaining("UNKNOWN");
        assertThat(translated.getCause()).isInstanceOf(IllegalStateException.class);
    }

    private static RuntimeException translate(Status.Code code, String description, WhenMissing whenMissing) {
        Throwable failure = new ExecutionException(Status.fromCode(code).withDescription(description)
                .asRuntimeException());
        return QdrantErrors.translate(failure, OPERATION, whenMissing);
    }
}
