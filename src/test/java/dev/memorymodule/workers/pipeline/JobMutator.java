package dev.memorymodule.workers.pipeline;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Breaks jobs at random, reproducibly: the same seed gives the same mutants. Some mutations work on the JSON tree
 * (delete a field, change a value's type, put in a hostile string, add an unknown field), others on the bytes
 * (truncate, flip bits, insert garbage, delete a range, repeat a key, drop in a structural character). Strings it
 * adds are short, so the mutants that stay valid jobs run quickly.
 */
final class JobMutator {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String[] STRINGS = {"", "x", "online", "offline", "embed", "pg_write", "retrieve",
        "custom", "bge-m3", "\u0000", "\u0007bell", "\u001b[31mred", "Ω≈ç√", "../../etc/passwd", "sha256:",
        "01ARZ3NDEKTSV4RRFFQ69G5FAV", "01ARZ3NDEKTSV4RRFFQ69G5FAU", "550e8400-e29b-41d4-a716-446655440000",
        "2026-02-30T00:00:00Z", "2026-12-01T09:00:00+02:00", "http://[::1", "𝄞"};
    private static final byte[] STRUCTURAL = "{}[]\",:\\".getBytes(StandardCharsets.US_ASCII);
    private static final String[] DUPLICATE_KEYS = {"\"type\":\"embed\",", "\"priority\":\"online\",",
        "\"job_id\":\"01ARZ3NDEKTSV4RRFFQ69G5FAV\",", "\"tenant\":{},"};

    private final Random random;

    JobMutator(long seed) {
        this.random = new Random(seed);
    }

    /** One mutant of the job: one or two tree mutations, bytes mutations, or both; never the job unchanged. */
    byte[] mutate(ObjectNode job) throws Exception {
        ObjectNode tree = job.deepCopy();
        // tree mutations leave more mutants readable, so more of them reach the later steps of the lifecycle
        boolean onTree = random.nextInt(10) < 7;
        boolean onBytes = !onTree || random.nextInt(4) == 0;
        if (onTree) {
            for (int i = 1 + random.nextInt(2); i > 0; i--) {
                mutateTree(tree);
            }
        }
        byte[] bytes = MAPPER.writeValueAsBytes(tree);
        if (onBytes) {
            for (int i = 1 + random.nextInt(2); i > 0; i--) {
                bytes = mutateBytes(bytes);
            }
        }
        return bytes;
    }

    private void mutateTree(ObjectNode root) {
        List<ObjectNode> objects = new ArrayList<>();
        collectObjects(root, objects);
        ObjectNode target = objects.get(random.nextInt(objects.size()));
        List<String> names = new ArrayList<>();
        target.fieldNames().forEachRemaining(names::add);
        if (names.isEmpty() || random.nextInt(8) == 0) {
            target.set("x_" + random.nextInt(1000), randomValue());
            return;
        }
        String name = names.get(random.nextInt(names.size()));
        switch (random.nextInt(3)) {
            case 0 -> target.remove(name);
            case 1 -> target.set(name, randomValue());
            default -> target.put(name, STRINGS[random.nextInt(STRINGS.length)]);
        }
    }

    private static void collectObjects(JsonNode node, List<ObjectNode> into) {
        if (node instanceof ObjectNode object) {
            into.add(object);
        }
        for (Iterator<JsonNode> children = node.elements(); children.hasNext(); ) {
            collectObjects(children.next(), into);
        }
    }

    private JsonNode randomValue() {
        return switch (random.nextInt(10)) {
            case 0 -> NODES.numberNode(random.nextInt(2000) - 1000);
            case 1 -> NODES.numberNode(random.nextDouble() * 1e6);
            case 2 -> NODES.booleanNode(random.nextBoolean());
            case 3 -> NODES.nullNode();
            case 4 -> NODES.arrayNode();
            case 5 -> NODES.objectNode();
            case 6 -> NODES.arrayNode().add("short text").add(1);
            case 7 -> NODES.numberNode(Long.MAX_VALUE);
            case 8 -> NODES.objectNode().put("nested", "value");
            default -> {
                ArrayNode texts = NODES.arrayNode();
                for (int i = random.nextInt(3); i >= 0; i--) {
                    texts.add(STRINGS[random.nextInt(STRINGS.length)]);
                }
                yield texts;
            }
        };
    }

    private byte[] mutateBytes(byte[] bytes) {
        if (bytes.length == 0) {
            return new byte[] {(byte) random.nextInt(256)};
        }
        int at = random.nextInt(bytes.length);
        return switch (random.nextInt(6)) {
            case 0 -> Arrays.copyOf(bytes, at);
            case 1 -> flip(bytes, 1 + random.nextInt(3));
            case 2 -> insert(bytes, at, randomBytes(1 + random.nextInt(16)));
            case 3 -> delete(bytes, at, 1 + random.nextInt(20));
            case 4 -> insert(bytes, 1, DUPLICATE_KEYS[random.nextInt(DUPLICATE_KEYS.length)]
                    .getBytes(StandardCharsets.UTF_8));
            default -> {
                byte[] copy = bytes.clone();
                copy[at] = STRUCTURAL[random.nextInt(STRUCTURAL.length)];
                yield copy;
            }
        };
    }

    private byte[] flip(byte[] bytes, int count) {
        byte[] copy = bytes.clone();
        for (int i = 0; i < count; i++) {
            copy[random.nextInt(copy.length)] ^= (byte) (1 << random.nextInt(8));
        }
        return copy;
    }

    private byte[] randomBytes(int length) {
        byte[] garbage = new byte[length];
        random.nextBytes(garbage);
        return garbage;
    }

    private static byte[] insert(byte[] bytes, int at, byte[] inserted) {
        int position = Math.min(at, bytes.length);
        byte[] out = new byte[bytes.length + inserted.length];
        System.arraycopy(bytes, 0, out, 0, position);
        System.arraycopy(inserted, 0, out, position, inserted.length);
        System.arraycopy(bytes, position, out, position + inserted.length, bytes.length - position);
        return out;
    }

    private static byte[] delete(byte[] bytes, int at, int length) {
        int end = Math.min(bytes.length, at + length);
        byte[] out = new byte[bytes.length - (end - at)];
        System.arraycopy(bytes, 0, out, 0, at);
        System.arraycopy(bytes, end, out, at, bytes.length - end);
        return out;
    }
}
