package dev.memorymodule.workers.vector;

import dev.memorymodule.workers.graph.Neo4jErrors;
import dev.memorymodule.workers.graph.Neo4jOptions;
import dev.memorymodule.workers.graph.Neo4jSchema;
import dev.memorymodule.workers.job.PermanentJobException;
import org.neo4j.driver.Driver;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;
import org.neo4j.driver.SessionConfig;
import org.neo4j.driver.Value;
import org.neo4j.driver.exceptions.Neo4jException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * Memory vectors in Neo4j's vector index, for deployments without Qdrant.
 *
 * <h2>Layout</h2>
 * One label and one cosine vector index per model and dimension count, the Neo4j form of a collection: nodes
 * {@code (:`MemoryVector_<model>_<dims>`)} indexed by {@code `mm_vector_<model>_<dims>`} on {@code embedding}. A
 * vector node is a point: its {@code id} is the memory id, and it carries the payload ({@code org_id},
 * {@code workspace_id}, {@code user_id}, {@code agent_id}, {@code thread_id}, {@code memory_id}, {@code text},
 * {@code kind}, {@code job_id}, {@code created_at}) so a search needs nothing else. Vector nodes stand apart from
 * the {@code :Memory} nodes of the graph: one memory may be embedded by several models, and a label per model lets
 * each index hold vectors of one size only. Each label also has a uniqueness constraint on {@code id} (points are
 * MERGEd on id and org, as in the graph, so an id held by another org fails the write instead of moving the point)
 * and a range index on {@code org_id}. The model name is the only outside text that enters a statement, as a quoted
 * identifier, after it matched {@link #MODEL_NAME}.
 *
 * <h2>Tenant filtering</h2>
 * The index answers with the global nearest neighbours, whoever owns them, so a search over-fetches candidates and
 * filters them by org and scope in the same statement. When the candidates hold fewer than {@code topK} matches
 * while the index had more to give, the search asks again with more candidates ({@link SearchLimits#growth()}
 * times as many). Past {@link SearchLimits#maxCandidates()} it stops asking the index and scans the tenant's own
 * points exactly, through the {@code org_id} index: an org whose vectors are far from the query, behind many nearer
 * vectors of other orgs, still gets its nearest ones, at a cost that grows with its own size, not with everyone's.
 * The filter is part of every statement, so no path can return another org's point.
 *
 * <p>Limits: the index search is approximate (HNSW), so a hit found through it is the nearest among the candidates,
 * not always the true nearest; the exact scan is exact. Scores are recomputed from the stored vectors with
 * {@code vector.similarity.cosine}, as the index's own scores come from quantized vectors, and turned from Neo4j's
 * {@code (1 + cos) / 2} into the cosine similarity itself, which is what Qdrant returns.
 */
public final class Neo4jVectorStore implements VectorStore {

    public static final String KIND = "neo4j";

    private static final Logger LOG = LoggerFactory.getLogger(Neo4jVectorStore.class);

    /** The largest vector a Neo4j 5 vector index takes. */
    public static final int MAX_DIMS = 4096;

    /** Model names allowed: they become part of a label and an index name. */
    public static final Pattern MODEL_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._/-]{0,127}");

    private static final Duration INDEX_ONLINE_TIMEOUT = Duration.ofSeconds(300);

    private static final String LABEL_PREFIX = "MemoryVector_";
    private static final String INDEX_PREFIX = "mm_vector_";

    // identifiers come from VectorIndex, which quotes a checked model name; every value is a parameter
    private static final String CREATE_ID_CONSTRAINT =
            "CREATE CONSTRAINT `%s_id` IF NOT EXISTS FOR (v:`%s`) REQUIRE v.id IS UNIQUE";
    private static final String CREATE_ORG_INDEX = "CREATE INDEX `%s_org` IF NOT EXISTS FOR (v:`%s`) ON (v.org_id)";
    private static final String CREATE_VECTOR_INDEX = """
            CREATE VECTOR INDEX `%s` IF NOT EXISTS FOR (v:`%s`) ON v.embedding
            OPTIONS {indexConfig: {`vector.dimensions`: %d, `vector.similarity_function`: 'cosine'}}""";
    private static final String AWAIT_INDEX = "CALL db.awaitIndex($index, $timeout_seconds)";

    private static final String UPSERT = """
            UNWIND $points AS p
            MERGE (v:`%s` {id: p.id, org_id: p.payload.org_id})
            SET v += p.payload
            WITH v, p
            CALL db.create.setNodeVectorProperty(v, 'embedding', p.embedding)
            RETURN count(v) AS written""";

    private static final String TENANT_FILTER = """
            v.org_id = $org_id
              AND ($workspace_id IS NULL OR v.workspace_id = $workspace_id)
              AND ($user_id IS NULL OR v.user_id = $user_id)
              AND ($agent_id IS NULL OR v.agent_id = $agent_id)
              AND ($thread_id IS NULL OR v.thread_id = $thread_id)""";

    private static final String HIT = """
            v {.id, .org_id, .workspace_id, .user_id, .agent_id, .thread_id, .memory_id, .text, .kind, .job_id,
               .created_at, similarity: similarity}""";

    // one row: how many candidates the index gave, and the best topK of them inside the filter
    private static final String INDEX_SEARCH = """
            CALL db.index.vector.queryNodes($index, $candidates, $query) YIELD node
            WITH collect(node) AS candidates
            CALL (candidates) {
              UNWIND candidates AS v
              WITH v WHERE %s
              WITH v, vector.similarity.cosine(v.embedding, $query) AS similarity
              ORDER BY similarity DESC
              LIMIT $top_k
              RETURN collect(%s) AS hits
            }
            RETURN size(candidates) AS scanned, hits""".formatted(TENANT_FILTER, HIT);

    private static final String EXACT_SEARCH = """
            MATCH (v:`%%s`)
            WHERE %s AND v.embedding IS NOT NULL
            WITH v, vector.similarity.cosine(v.embedding, $query) AS similarity
            ORDER BY similarity DESC
            LIMIT $top_k
            RETURN %s AS hit""".formatted(TENANT_FILTER, HIT);

    private static final String COUNT = """
            MATCH (v:`%%s`)
            WHERE %s
            RETURN count(v) AS points""".formatted(TENANT_FILTER);

    /**
     * How hard a search asks the index before it scans the tenant's points exactly.
     *
     * @param minCandidates the fewest candidates asked for at first
     * @param overfetch     candidates asked for at first per hit wanted
     * @param growth        how many times more candidates each further round asks for
     * @param maxCandidates the most candidates asked for; beyond, the exact scan
     */
    public record SearchLimits(int minCandidates, int overfetch, int growth, int maxCandidates) {

        /** 100 candidates or 10 per hit at first, four times more per round, an exact scan beyond 10,000. */
        public static final SearchLimits DEFAULT = new SearchLimits(100, 10, 4, 10_000);

        public SearchLimits {
            if (minCandidates < 1 || overfetch < 1 || growth < 2 || maxCandidates < minCandidates) {
                throw new IllegalArgumentException("need minCandidates >= 1, overfetch >= 1, growth >= 2 and "
                        + "maxCandidates >= minCandidates: " + this);
            }
        }

        int firstRound(int topK) {
            long wanted = Math.max((long) topK * overfetch, minCandidates);
            return (int) Math.min(wanted, maxCandidates);
        }

        int nextRound(int candidates) {
            return (int) Math.min((long) candidates * growth, maxCandidates);
        }
    }

    private final Driver driver;
    private final SessionConfig sessionConfig;
    private final SearchLimits limits;
    private final boolean ownsDriver;
    // indexes this store has seen ONLINE, so the schema statements run once per index and process
    private final Set<String> readyIndexes = ConcurrentHashMap.newKeySet();

    /** A store on a driver that the caller keeps and closes; {@link #close()} leaves it open. */
    public Neo4jVectorStore(Driver driver, String database) {
        this(driver, database, SearchLimits.DEFAULT);
    }

    public Neo4jVectorStore(Driver driver, String database, SearchLimits limits) {
        this(driver, database, limits, false);
    }

    private Neo4jVectorStore(Driver driver, String database, SearchLimits limits, boolean ownsDriver) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.sessionConfig = SessionConfig.forDatabase(Objects.requireNonNull(database, "database"));
        this.limits = Objects.requireNonNull(limits, "limits");
        this.ownsDriver = ownsDriver;
    }

    /** A store with a driver of its own, which {@link #close()} closes. */
    public static Neo4jVectorStore open(Neo4jOptions options) {
        return new Neo4jVectorStore(options.openDriver(), options.database(), SearchLimits.DEFAULT, true);
    }

    @Override
    public String kind() {
        return KIND;
    }

    @Override
    public void ensureCollection(String model, int dims) {
        ensure(VectorIndex.of(model, dims));
    }

    @Override
    public void upsert(String model, int dims, List<VectorPoint> points) {
        VectorIndex index = VectorIndex.of(model, dims);
        List<Map<String, Object>> rows = new ArrayList<>(points.size());
        for (VectorPoint point : points) {
            checkDims(index, point.vector(), "point " + point.id());
            Objects.requireNonNull(point.payload().orgId(), "a point always belongs to an org");
            rows.add(Map.of("id", point.id().toString(), "payload", payload(point.payload()),
                    "embedding", point.vector()));
        }
        if (rows.isEmpty()) {
            return;
        }
        ensure(index);

        String statement = UPSERT.formatted(index.label());
        try (Session session = driver.session(sessionConfig)) {
            session.executeWriteWithoutResult(tx -> tx.run(statement, Map.of("points", rows)).consume());
        } catch (Neo4jException e) {
            throw Neo4jErrors.translate("vector upsert", e);
        }
    }

    @Override
    public List<VectorHit> search(String model, int dims, float[] query, TenantFilter filter, int topK) {
        VectorIndex index = VectorIndex.of(model, dims);
        checkDims(index, query, "the query");
        if (topK < 1) {
            throw new PermanentJobException("topK must be at least 1: " + topK);
        }
        ensure(index);

        Map<String, Object> parameters = filterParameters(filter);
        parameters.put("index", index.name());
        parameters.put("query", query);
        parameters.put("top_k", topK);
        try (Session session = driver.session(sessionConfig)) {
            return session.executeRead(tx -> {
                for (int candidates = limits.firstRound(topK); ; candidates = limits.nextRound(candidates)) {
                    parameters.put("candidates", candidates);
                    Record round = tx.run(INDEX_SEARCH, parameters).single();
                    List<VectorHit> hits = round.get("hits").asList(Neo4jVectorStore::hit);
                    boolean indexExhausted = round.get("scanned").asInt() < candidates;
                    LOG.debug("Vector search in {}: {} of {} hits among {} candidates", index.name(), hits.size(), topK,
                            candidates);
                    if (hits.size() >= topK || indexExhausted) {
                        return hits;
                    }
                    if (candidates >= limits.maxCandidates()) {
                        LOG.debug("Vector search in {}: scanning the tenant's points exactly", index.name());
                        return tx.run(EXACT_SEARCH.formatted(index.label()), parameters)
                                .list(row -> hit(row.get("hit")));
                    }
                }
            });
        } catch (Neo4jException e) {
            throw Neo4jErrors.translate("vector search", e);
        }
    }

    @Override
    public long count(String model, int dims, TenantFilter filter) {
        VectorIndex index = VectorIndex.of(model, dims);
        try (Session session = driver.session(sessionConfig)) {
            return session.executeRead(tx -> tx.run(COUNT.formatted(index.label()), filterParameters(filter))
                    .single().get("points").asLong());
        } catch (Neo4jException e) {
            throw Neo4jErrors.translate("vector count", e);
        }
    }

    @Override
    public void close() {
        if (ownsDriver) {
            driver.close();
        }
    }

    private void ensure(VectorIndex index) {
        if (readyIndexes.contains(index.name())) {
            return;
        }
        Neo4jSchema.apply(driver, sessionConfig, List.of(
                CREATE_ID_CONSTRAINT.formatted(index.name(), index.label()),
                CREATE_ORG_INDEX.formatted(index.name(), index.label()),
                CREATE_VECTOR_INDEX.formatted(index.name(), index.label(), index.dims())));
        Map<String, Object> await = Map.of("index", index.name(),
                "timeout_seconds", INDEX_ONLINE_TIMEOUT.toSeconds());
        try (Session session = driver.session(sessionConfig)) {
            // a new index is POPULATING for a while; searches before it is ONLINE fail
            session.run(AWAIT_INDEX, await).consume();
        } catch (Neo4jException e) {
            throw Neo4jErrors.translate("vector index setup", e);
        }
        readyIndexes.add(index.name());
    }

    private static void checkDims(VectorIndex index, float[] vector, String what) {
        if (vector.length != index.dims()) {
            throw new PermanentJobException(what + " has " + vector.length + " dimensions, but the index "
                    + index.name() + " holds vectors of " + index.dims());
        }
    }

    private static Map<String, Object> payload(MemoryPayload payload) {
        // a HashMap: absent scope fields are nulls, and SET += removes a property set to null
        Map<String, Object> properties = new HashMap<>();
        properties.put("org_id", payload.orgId());
        properties.put("workspace_id", payload.workspaceId());
        properties.put("user_id", payload.userId());
        properties.put("agent_id", payload.agentId());
        properties.put("thread_id", payload.threadId());
        properties.put("memory_id", payload.memoryId());
        properties.put("text", payload.text());
        properties.put("kind", payload.kind());
        properties.put("job_id", payload.jobId());
        properties.put("created_at", payload.createdAt());
        return properties;
    }

    private static Map<String, Object> filterParameters(TenantFilter filter) {
        Map<String, Object> parameters = new HashMap<>();
        parameters.put("org_id", filter.orgId());
        parameters.put("workspace_id", filter.workspaceId());
        parameters.put("user_id", filter.userId());
        parameters.put("agent_id", filter.agentId());
        parameters.put("thread_id", filter.threadId());
        return parameters;
    }

    private static VectorHit hit(Value hit) {
        MemoryPayload payload = new MemoryPayload(text(hit, "org_id"), text(hit, "workspace_id"),
                text(hit, "user_id"), text(hit, "agent_id"), text(hit, "thread_id"), text(hit, "memory_id"),
                text(hit, "text"), text(hit, "kind"), text(hit, "job_id"), text(hit, "created_at"));
        // Neo4j scales cosine similarity to [0, 1] as (1 + cos) / 2; the contract is the cosine itself
        double cosine = 2 * hit.get("similarity").asDouble() - 1;
        return new VectorHit(text(hit, "id"), cosine, payload);
    }

    private static String text(Value map, String key) {
        Value value = map.get(key);
        return value.isNull() ? null : value.asString();
    }

    /** The label and index of one model and dimension count. */
    private record VectorIndex(String label, String name, int dims) {

        static VectorIndex of(String model, int dims) {
            if (model == null || !MODEL_NAME.matcher(model).matches()) {
                throw new PermanentJobException("model name must match " + MODEL_NAME + ": '" + model + "'");
            }
            if (dims < 1 || dims > MAX_DIMS) {
                throw new PermanentJobException("dims must be between 1 and " + MAX_DIMS + ": " + dims);
            }
            String suffix = model + "_" + dims;
            return new VectorIndex(LABEL_PREFIX + suffix, INDEX_PREFIX + suffix, dims);
        }
    }
}
