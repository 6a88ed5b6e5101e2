package dev.memorymodule.workers.streams;

import java.time.Duration;
import java.util.List;
import java.util.Locale;

import io.nats.client.api.DiscardPolicy;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

/**
 * One stream as the project defines it. Every limit is explicit: nothing is left to the server's defaults, so a
 * stream created by the init script and one created by a worker are the same.
 *
 * @param name            stream name, e.g. {@code MM_ONLINE}
 * @param subjects        subjects the stream captures, e.g. {@code mm.online.>}
 * @param retention       {@code workqueue} for jobs, {@code limits} for events and dead letters
 * @param maxAge          how long a message is kept at most
 * @param maxBytes        total size of the stream at most
 * @param maxMsgSize      size of one message at most; a larger publish is refused by the server
 * @param maxMsgs         number of messages at most
 * @param discard         {@code new} refuses publishes when full (nothing is lost silently), {@code old} drops
 *                        the oldest
 * @param duplicateWindow how long the server remembers {@code Nats-Msg-Id} values to drop re-publishes
 * @param replicas        copies of every message in a cluster
 * @param storage         {@code file} or {@code memory}
 */
public record StreamSpec(String name, List<String> subjects, String retention, Duration maxAge, long maxBytes,
                         int maxMsgSize, long maxMsgs, String discard, Duration duplicateWindow, int replicas,
                         String storage) {

    public StreamSpec {
        subjects = List.copyOf(subjects);
    }

    public StreamConfiguration toConfiguration() {
        return StreamConfiguration.builder()
                .name(name)
                .subjects(subjects)
                .retentionPolicy(retentionPolicy())
                .maxAge(maxAge)
                .maxBytes(maxBytes)
                .maximumMessageSize(maxMsgSize)
                .maxMessages(maxMsgs)
                .discardPolicy(discardPolicy())
                .duplicateWindow(duplicateWindow)
                .replicas(replicas)
                .storageType(storageType())
                .build();
    }

    RetentionPolicy retentionPolicy() {
        return switch (retention.toLowerCase(Locale.ROOT)) {
            case "workqueue", "work_queue", "work-queue" -> RetentionPolicy.WorkQueue;
            case "limits" -> RetentionPolicy.Limits;
            case "interest" -> RetentionPolicy.Interest;
            default -> throw new IllegalArgumentException("stream " + name + ": unknown retention " + retention);
        };
    }

    DiscardPolicy discardPolicy() {
        return switch (discard.toLowerCase(Locale.ROOT)) {
            case "new" -> DiscardPolicy.New;
            case "old" -> DiscardPolicy.Old;
            default -> throw new IllegalArgumentException("stream " + name + ": unknown discard policy " + discard);
        };
    }

    StorageType storageType() {
        return switch (storage.toLowerCase(Locale.ROOT)) {
            case "file" -> StorageType.File;
            case "memory" -> StorageType.Memory;
            default -> throw new IllegalArgumentException("stream " + name + ": unknown storage " + storage);
        };
    }
}
