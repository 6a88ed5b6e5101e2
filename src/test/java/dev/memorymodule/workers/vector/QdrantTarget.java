package dev.memorymodule.workers.vector;

import java.util.HexFormat;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Qdrant a contract test talks to: a real one when {@value #URL_ENV} is set (with {@value #API_KEY_ENV} if it
 * needs a key), else a {@link QdrantTestDouble} started for the test class. Model names it hands out are unique to
 * this run, and {@link #close()} deletes every collection made for them, so a shared server stays clean.
 */
public final class QdrantTarget implements AutoCloseable {

    static final String URL_ENV = "QDRANT_URL";
    static final String API_KEY_ENV = "QDRANT_API_KEY";

    private static final Logger LOG = LoggerFactory.getLogger(QdrantTarget.class);
    private static final int RUN_ID_BYTES = 4;

    private final QdrantTestDouble testDouble;
    private final String url;
    private final String apiKey;
    private final String runId = HexFormat.of().formatHex(randomBytes());
    private final AtomicInteger models = new AtomicInteger();
    private final Set<String> collections = ConcurrentHashMap.newKeySet();

    private QdrantTarget(QdrantTestDouble testDouble, String url, String apiKey) {
        this.testDouble = testDouble;
        this.url = url;
        this.apiKey = apiKey;
    }

    public static QdrantTarget start() {
        String realUrl = System.getenv(URL_ENV);
        if (realUrl != null && !realUrl.isBlank()) {
            LOG.info("Contract tests run against the real Qdrant at {}", realUrl);
            return new QdrantTarget(null, realUrl, System.getenv(API_KEY_ENV));
        }
        QdrantTestDouble started = QdrantTestDouble.start();
        LOG.info("Contract tests run against {}", started);
        return new QdrantTarget(started, started.url(), null);
    }

    boolean isReal() {
        return testDouble == null;
    }

    public String url() {
        return url;
    }

    public String apiKey() {
        return apiKey;
    }

    QdrantVectorStore.Options options() {
        return QdrantVectorStore.Options.fromUrl(url, apiKey);
    }

    QdrantVectorStore openStore() {
        return QdrantVectorStore.connect(options());
    }

    /** A model name no other run uses; its collections are deleted on {@link #close()}. */
    String uniqueModel(String label, int dims) {
        String model = "t" + runId + "-" + label + "-" + models.incrementAndGet();
        collections.add(QdrantPoints.collectionName(model, dims));
        return model;
    }

    @Override
    public void close() {
        try (QdrantVectorStore store = openStore()) {
            for (String collection : collections) {
                deleteQuietly(store, collection);
            }
        } finally {
            if (testDouble != null) {
                testDouble.close();
            }
        }
    }

    @Override
    public String toString() {
        return isReal() ? "real Qdrant at " + url : testDouble.toString();
    }

    private static void deleteQuietly(QdrantVectorStore store, String collection) {
        try {
            // some models are never written to; the client logs an error for deleting what is not there
            if (store.client().collectionExistsAsync(collection).get()) {
                store.client().deleteCollectionAsync(collection).get();
            }
        } catch (ExecutionException e) {
            LOG.warn("Collection {} not deleted: {}", collection, e.getCause().toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static byte[] randomBytes() {
        byte[] bytes = new byte[RUN_ID_BYTES];
        ThreadLocalRandom.current().nextBytes(bytes);
        return bytes;
    }
}
