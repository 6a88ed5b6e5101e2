package dev.memorymodule.workers.graph;

import org.neo4j.driver.Driver;
import org.neo4j.driver.Record;
import org.neo4j.driver.Result;
import org.neo4j.driver.Session;
import org.neo4j.driver.SessionConfig;
import org.neo4j.driver.exceptions.Neo4jException;
import org.neo4j.driver.summary.SummaryCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * The memory graph in Neo4j: who a memory belongs to, who remembered it, what it is about, where it was said and
 * which event produced it.
 *
 * <h2>Graph model</h2>
 * <pre>
 * (:Org)-[:HAS_WORKSPACE]->(:Workspace)
 * (owner)-[:HAS_USER]->(:User)            owner: the workspace when the job names one, else the org
 * (owner)-[:HAS_AGENT]->(:Agent)
 * (owner)-[:HAS_THREAD]->(:Thread)
 * (owner)-[:HAS_MEMORY]->(:Memory)        every memory hangs in its tenant's tree, even one without scope
 * (:Agent)-[:ASSISTS]->(:User)
 * (:User)-[:PARTICIPATES_IN]->(:Thread)
 * (:Agent)-[:PARTICIPATES_IN]->(:Thread)
 * (:Memory)-[:IN_THREAD]->(:Thread)
 * (:Agent)-[:REMEMBERED]->(:Memory)
 * (:Memory)-[:ABOUT]->(:User)
 * (:Event)-[:PRODUCED]->(:Memory)
 * </pre>
 * Every node has {@code id} and {@code org_id} (an Org's {@code org_id} is its own id). A Memory also has
 * {@code text}, {@code kind}, {@code job_id}, {@code created_at} (a datetime) and {@code position}. A relation is
 * written only when both of its ends are known to the job.
 *
 * <h2>Tenant keys</h2>
 * Every node is keyed on {@code id} and {@code org_id} together: the uniqueness constraint of each label is on the
 * pair ({@link #ensureSchema()}), and every MERGE and MATCH names both. Two orgs that use the same id (a user who
 * belongs to both, or a copied workspace id) each get a node of their own, and no relation ever joins them, since
 * both ends of every relation are matched with the job's org. Keying on id alone would link the two orgs' graphs;
 * refusing the second org's write would fail a legitimate job of that org. Reads are scoped the same way, so a
 * query can never reach another org's node even by its id.
 *
 * <h2>Writes</h2>
 * One batch is one parameterised statement (an UNWIND over the memories) in one write transaction, which the driver
 * retries on transient failures. Job data only ever travels as parameters, never as Cypher text. Everything is a
 * MERGE on deterministic ids, so writing a batch again (a redelivered job) leaves node and relation counts as they
 * were. Driver failures become {@code TransientJobException} or {@code PermanentJobException}
 * ({@link Neo4jErrors}).
 */
public final class GraphStore implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(GraphStore.class);

    /** The labels of the graph; each has a uniqueness constraint on ({@code id}, {@code org_id}). */
    public static final List<String> LABELS =
            List.of("Org", "Workspace", "User", "Agent", "Thread", "Memory", "Event");

    // labels are constants of this class, never job data, so formatting them into the statement is safe
    private static final String CONSTRAINT =
            "CREATE CONSTRAINT mm_%s_org_id IF NOT EXISTS FOR (n:%s) REQUIRE (n.id, n.org_id) IS UNIQUE";

    // Optional scope nodes are merged inside OPTIONAL CALL subqueries that yield null when the id is absent; the
    // relations to a node that may be null go through FOREACH over an empty or one-element list.
    private static final String WRITE = """
            MERGE (org:Org {id: $org_id, org_id: $org_id})
            WITH org
            OPTIONAL CALL (org) {
              WITH org WHERE $workspace_id IS NOT NULL
              MERGE (workspace:Workspace {id: $workspace_id, org_id: $org_id})
              MERGE (org)-[:HAS_WORKSPACE]->(workspace)
              RETURN workspace
            }
            WITH coalesce(workspace, org) AS owner
            OPTIONAL CALL (owner) {
              WITH owner WHERE $user_id IS NOT NULL
              MERGE (user:User {id: $user_id, org_id: $org_id})
              MERGE (owner)-[:HAS_USER]->(user)
              RETURN user
            }
            OPTIONAL CALL (owner, user) {
              WITH owner, user WHERE $agent_id IS NOT NULL
              MERGE (agent:Agent {id: $agent_id, org_id: $org_id})
              MERGE (owner)-[:HAS_AGENT]->(agent)
              FOREACH (u IN CASE WHEN user IS NULL THEN [] ELSE [user] END | MERGE (agent)-[:ASSISTS]->(u))
              RETURN agent
            }
            OPTIONAL CALL (owner, user, agent) {
              WITH owner, user, agent WHERE $thread_id IS NOT NULL
              MERGE (thread:Thread {id: $thread_id, org_id: $org_id})
              MERGE (owner)-[:HAS_THREAD]->(thread)
              FOREACH (u IN CASE WHEN user IS NULL THEN [] ELSE [user] END | MERGE (u)-[:PARTICIPATES_IN]->(thread))
              FOREACH (a IN CASE WHEN agent IS NULL THEN [] ELSE [agent] END | MERGE (a)-[:PARTICIPATES_IN]->(thread))
              RETURN thread
            }
            OPTIONAL CALL () {
              WITH $event_id AS event_id WHERE event_id IS NOT NULL
              MERGE (event:Event {id: event_id, org_id: $org_id})
              RETURN event
            }
            UNWIND $memories AS m
            MERGE (memory:Memory {id: m.id, org_id: $org_id})
            SET memory.text = m.text, memory.kind = m.kind, memory.job_id = m.job_id,
                memory.created_at = m.created_at, memory.position = m.position
            MERGE (owner)-[:HAS_MEMORY]->(memory)
            FOREACH (t IN CASE WHEN thread IS NULL THEN [] ELSE [thread] END | MERGE (memory)-[:IN_THREAD]->(t))
            FOREACH (a IN CASE WHEN agent IS NULL THEN [] ELSE [agent] END | MERGE (a)-[:REMEMBERED]->(memory))
            FOREACH (u IN CASE WHEN user IS NULL THEN [] ELSE [user] END | MERGE (memory)-[:ABOUT]->(u))
            FOREACH (e IN CASE WHEN event IS NULL THEN [] ELSE [event] END | MERGE (e)-[:PRODUCED]->(memory))
            RETURN count(memory) AS written""";

    // the newest memories win the limit; they are returned oldest first, in the order they were said
    private static final String THREAD_MEMORIES = """
            MATCH (:Thread {id: $thread_id, org_id: $org_id})<-[:IN_THREAD]-(memory:Memory {org_id: $org_id})
            WITH memory
            ORDER BY memory.created_at DESC, memory.job_id DESC, memory.position DESC
            LIMIT $limit
            RETURN memory.id AS id, memory.text AS text, memory.kind AS kind, memory.created_at AS created_at
            ORDER BY memory.created_at, memory.job_id, memory.position""";

    /**
     * What one batch write did.
     *
     * @param memories             memories in the batch, new or not
     * @param nodesCreated         nodes that did not exist before; 0 for a batch written again
     * @param relationshipsCreated relations that did not exist before; 0 for a batch written again
     */
    public record WriteResult(long memories, int nodesCreated, int relationshipsCreated) {
    }

    private final Driver driver;
    private final SessionConfig sessionConfig;
    private final boolean ownsDriver;

    /** A store on a driver that the caller keeps and closes; {@link #close()} leaves it open. */
    public GraphStore(Driver driver, String database) {
        this(driver, database, false);
    }

    private GraphStore(Driver driver, String database, boolean ownsDriver) {
        this.driver = Objects.requireNonNull(driver, "driver");
        this.sessionConfig = SessionConfig.forDatabase(Objects.requireNonNull(database, "database"));
        this.ownsDriver = ownsDriver;
    }

    /** A store with a driver of its own, which {@link #close()} closes. */
    public static GraphStore open(Neo4jOptions options) {
        return new GraphStore(options.openDriver(), options.database(), true);
    }

    /** Creates the uniqueness constraints where missing; safe to call from every worker at start. */
    public void ensureSchema() {
        List<String> constraints = LABELS.stream()
                .map(label -> String.format(CONSTRAINT, label.toLowerCase(Locale.ROOT), label))
                .toList();
        Neo4jSchema.apply(driver, sessionConfig, constraints);
    }

    /** MERGEs the batch's nodes and relations in one transaction; see the class comment for the model. */
    public WriteResult writeMemories(MemoryGraphBatch batch) {
        Map<String, Object> parameters = new HashMap<>();
        parameters.put("org_id", batch.orgId());
        parameters.put("workspace_id", batch.workspaceId());
        parameters.put("user_id", batch.userId());
        parameters.put("agent_id", batch.agentId());
        parameters.put("thread_id", batch.threadId());
        parameters.put("event_id", batch.eventId());
        parameters.put("memories", batch.memories().stream().map(GraphStore::memoryParameters).toList());

        try (Session session = driver.session(sessionConfig)) {
            WriteResult written = session.executeWrite(tx -> {
                Result result = tx.run(WRITE, parameters);
                long memories = result.single().get("written").asLong();
                SummaryCounters counters = result.consume().counters();
                return new WriteResult(memories, counters.nodesCreated(), counters.relationshipsCreated());
            });
            LOG.debug("Graph write for org {}: {}", batch.orgId(), written);
            return written;
        } catch (Neo4jException e) {
            throw Neo4jErrors.translate("graph write", e);
        }
    }

    /**
     * The newest {@code limit} memories of a thread of this org, oldest first. Empty when the org has no such
     * thread, including when another org has a thread with this id.
     */
    public List<ThreadMemory> memoriesOfThread(String orgId, String threadId, int limit) {
        Objects.requireNonNull(orgId, "a graph read is always scoped to an org");
        Objects.requireNonNull(threadId, "threadId");
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1: " + limit);
        }
        Map<String, Object> parameters = Map.of("org_id", orgId, "thread_id", threadId, "limit", limit);

        try (Session session = driver.session(sessionConfig)) {
            return session.executeRead(tx -> {
                List<ThreadMemory> memories = new ArrayList<>();
                for (Record row : tx.run(THREAD_MEMORIES, parameters).list()) {
                    Instant createdAt = row.get("created_at").asZonedDateTime().toInstant();
                    memories.add(new ThreadMemory(row.get("id").asString(), row.get("text").asString(),
                            row.get("kind").asString(), createdAt));
                }
                return memories;
            });
        } catch (Neo4jException e) {
            throw Neo4jErrors.translate("thread read", e);
        }
    }

    @Override
    public void close() {
        if (ownsDriver) {
            driver.close();
        }
    }

    private static Map<String, Object> memoryParameters(MemoryGraphBatch.Memory memory) {
        return Map.of(
                "id", memory.id(),
                "text", memory.text(),
                "kind", memory.kind(),
                "job_id", memory.jobId(),
                // a datetime, not a string, so that ordering by it is ordering in time
                "created_at", memory.createdAt().atOffset(ZoneOffset.UTC),
                "position", memory.position());
    }
}
