package dev.memorymodule.workers.graph;

import org.neo4j.driver.Driver;
import org.neo4j.driver.Session;
import org.neo4j.driver.SessionConfig;
import org.neo4j.driver.exceptions.Neo4jException;

import java.util.List;

/**
 * Runs schema statements ({@code CREATE ... IF NOT EXISTS}) so that several workers may start at once.
 *
 * <p>{@code IF NOT EXISTS} does not cover a race: when two workers create the same index at the same moment, the
 * one that commits second is refused with {@value #EQUIVALENT_RULE_EXISTS}. The rule it wanted is there, so that
 * refusal counts as success.
 */
public final class Neo4jSchema {

    /** The refusal of a constraint or index that already exists exactly as asked for. */
    public static final String EQUIVALENT_RULE_EXISTS = "Neo.ClientError.Schema.EquivalentSchemaRuleAlreadyExists";

    private Neo4jSchema() {
    }

    /** Runs each statement in a transaction of its own, in order; failures become job failures. */
    public static void apply(Driver driver, SessionConfig sessionConfig, List<String> statements) {
        try (Session session = driver.session(sessionConfig)) {
            for (String statement : statements) {
                try {
                    session.executeWriteWithoutResult(tx -> tx.run(statement).consume());
                } catch (Neo4jException e) {
                    if (!EQUIVALENT_RULE_EXISTS.equals(e.code())) {
                        throw e;
                    }
                }
            }
        } catch (Neo4jException e) {
            throw Neo4jErrors.translate("schema setup", e);
        }
    }
}
