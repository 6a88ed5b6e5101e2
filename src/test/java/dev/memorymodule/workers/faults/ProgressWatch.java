package dev.memorymodule.workers.faults;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import dev.memorymodule.workers.testsupport.OutcomeWatcher;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;

/**
 * How far a run has come: the job messages that have an outcome event, seen live on core NATS. Only for pacing
 * the faults; the checks read the events stream itself, which is the record (a core subscriber also sees an event
 * the stream dropped as a duplicate, and misses what was published while it reconnected).
 */
final class ProgressWatch implements AutoCloseable {

    private final Connection connection;
    private final Dispatcher dispatcher;
    private final Set<String> answered = ConcurrentHashMap.newKeySet();

    ProgressWatch(Connection connection, String eventsPrefix) {
        this.connection = connection;
        this.dispatcher = connection.createDispatcher(message -> {
            String identity = OutcomeWatcher.identity(message);
            if (identity != null) {
                answered.add(identity);
            }
        });
        dispatcher.subscribe(eventsPrefix + ".>");
    }

    /** Job messages with at least one outcome event seen. */
    int answered() {
        return answered.size();
    }

    @Override
    public void close() {
        connection.closeDispatcher(dispatcher);
    }
}
