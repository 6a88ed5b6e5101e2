package dev.memorymodule.workers.vector;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import dev.memorymodule.workers.job.PermanentJobException;
import io.grpc.Status;
import io.qdrant.client.grpc.Points.ScoredPoint;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.component.qdrant.QdrantAction;
import org.apache.camel.component.qdrant.QdrantActionException;
import org.apache.camel.component.qdrant.QdrantHeaders;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * What camel-qdrant 4.17 can do with our points, against the same target as {@link QdrantVectorStoreTest}: its
 * {@code UPSERT} takes {@link QdrantPoints#toPointStructs} as the body and waits for the write; its
 * {@code SIMILARITY_SEARCH} filters only with a filter fixed on the endpoint, never one per message.
 */
class QdrantCamelTest {

    private static final int DIMS = 4;
    private static final String ORG_A = "0b6f4a52-0c39-4b5a-9f0e-6f1f6d1a0a01";
    private static final String ORG_B = "0b6f4a52-0c39-4b5a-9f0e-6f1f6d1a0b02";
    private static final String ORG_A_FILTER_BEAN = "orgAFilter";
    private static final float[] EAST = {1, 0, 0, 0};
    private static final float[] NORTH = {0, 1, 0, 0};

    private static QdrantTarget target;
    private static QdrantVectorStore store;
    private static CamelContext camel;
    private static ProducerTemplate template;

    @BeforeAll
    static void start() {
        target = QdrantTarget.start();
        store = target.openStore();
        camel = new DefaultCamelContext();
        // Camel would copy a lone Filter bean into the qdrant component, and so into every qdrant endpoint
        camel.setAutowiredEnabled(false);
        camel.getRegistry().bind(ORG_A_FILTER_BEAN, QdrantPoints.tenantFilter(TenantFilter.org(ORG_A)));
        camel.start();
        template = camel.createProducerTemplate();
    }

    @AfterAll
    static void stop() throws Exception {
        if (camel != null) {
            camel.close();
        }
        if (store != null) {
            store.close();
        }
        if (target != null) {
            target.close();
        }
    }

    @Test
    void upsertThroughCamelQdrantWritesWhatTheStoreReads() {
        String model = target.uniqueModel("camel-upsert", DIMS);
        // camel-qdrant creates collections without payload indexes, so the store makes the collection
        store.ensureCollection(model, DIMS);
        List<VectorPoint> points = List.of(point(ORG_A, "written by a route", EAST), point(ORG_B, "other org", NORTH));

        Exchange done = template.send(endpoint(model, ""), exchange -> {
            exchange.getMessage().setHeader(QdrantHeaders.ACTION, QdrantAction.UPSERT);
            exchange.getMessage().setBody(QdrantPoints.toPointStructs(points));
        });

        assertThat(done.getException()).isNull();
        // camel-qdrant always upserts with wait=true
        assertThat(done.getMessage().getHeader(QdrantHeaders.OPERATION_STATUS)).isEqualTo("Completed");
        List<VectorHit> hits = store.search(model, DIMS, EAST, TenantFilter.org(ORG_A), 5);
        assertThat(hits).singleElement().satisfies(hit -> {
            assertThat(hit.memoryId()).isEqualTo(points.get(0).id().toString());
            assertThat(hit.payload()).isEqualTo(points.get(0).payload());
        });
    }

    @Test
    void similaritySearchThroughCamelQdrantFiltersOnlyByTheEndpointsFixedFilter() {
        String model = target.uniqueModel("camel-search", DIMS);
        store.upsert(model, DIMS, List.of(point(ORG_B, "nearest, other org", EAST), point(ORG_A, "ours", NORTH)));

        Exchange done = template.send(endpoint(model, "&maxResults=5&filter=#" + ORG_A_FILTER_BEAN), exchange -> {
            exchange.getMessage().setHeader(QdrantHeaders.ACTION, QdrantAction.SIMILARITY_SEARCH);
            exchange.getMessage().setBody(floats(EAST));
        });

        assertThat(done.getException()).isNull();
        @SuppressWarnings("unchecked")
        List<ScoredPoint> found = done.getMessage().getBody(List.class);
        assertThat(found).singleElement().satisfies(point ->
                assertThat(point.getPayloadMap().get(QdrantPoints.ORG_ID).getStringValue()).isEqualTo(ORG_A));
    }

    @Test
    void camelQdrantFailuresCarryTheGrpcStatusTheStoreTranslates() {
        String model = target.uniqueModel("camel-error", DIMS);
        store.ensureCollection(model, DIMS);
        VectorPoint tooShort = point(ORG_A, "three numbers", new float[] {1, 0, 0});

        Exchange done = template.send(endpoint(model, ""), exchange -> {
            exchange.getMessage().setHeader(QdrantHeaders.ACTION, QdrantAction.UPSERT);
            exchange.getMessage().setBody(QdrantPoints.toPointStructs(List.of(tooShort)));
        });

        assertThat(done.getException()).isInstanceOf(QdrantActionException.class);
        assertThat(QdrantErrors.status(done.getException()).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(QdrantErrors.translate(done.getException(), "upsert", QdrantErrors.WhenMissing.RETRY))
                .isInstanceOf(PermanentJobException.class)
                .hasMessageContaining("Vector dimension error: expected dim: 4, got 3");
    }

    private static String endpoint(String model, String extraOptions) {
        QdrantVectorStore.Options options = target.options();
        String key = options.apiKey() == null ? "" : "&apiKey=RAW(" + options.apiKey() + ")";
        return "qdrant:" + QdrantPoints.collectionName(model, DIMS) + "?host=" + options.host() + "&port="
                + options.port() + "&tls=" + options.tls() + "&timeout=10s" + key + extraOptions;
    }

    private static VectorPoint point(String org, String text, float[] vector) {
        UUID id = UUID.randomUUID();
        return new VectorPoint(id, vector, new MemoryPayload(org, null, null, null, null, id.toString(), text,
                "memory", null, null));
    }

    private static List<Float> floats(float[] vector) {
        List<Float> list = new ArrayList<>(vector.length);
        for (float value : vector) {
            list.add(value);
        }
        return list;
    }
}
