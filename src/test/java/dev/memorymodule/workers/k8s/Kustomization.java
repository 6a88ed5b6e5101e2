package dev.memorymodule.workers.k8s;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;

/**
 * Renders a kustomization as {@code kubectl kustomize} does, for the part of kustomize that the manifests under
 * {@code k8s/} use: resources (files and directories), patches given by path (strategic merge, matched on kind and
 * name), replicas, images and namespace. A kustomization that uses anything else is refused rather than rendered
 * differently, so manifests cannot outgrow their checks unnoticed. Where kubectl is installed, the tests compare
 * this rendering with its own.
 */
final class Kustomization {

    static final String FILE_NAME = "kustomization.yaml";
    static final YAMLMapper YAML = new YAMLMapper();

    private static final Set<String> SUPPORTED_FIELDS =
            Set.of("apiVersion", "kind", "namespace", "resources", "patches", "replicas", "images");
    private static final Set<String> CLUSTER_SCOPED_KINDS = Set.of("Namespace");
    private static final Set<String> SCALABLE_KINDS = Set.of("Deployment", "StatefulSet", "ReplicaSet");
    // Kubernetes declares per field which lists a strategic merge joins element by element, and on which key; these
    // are the ones a patch here may touch. Any other list in a patch replaces the list it patches, as there.
    private static final Map<String, String> MERGE_KEYS = Map.of(
            "containers", "name",
            "initContainers", "name",
            "env", "name",
            "volumes", "name",
            "volumeMounts", "mountPath",
            "imagePullSecrets", "name");

    private Kustomization() {
    }

    /** The objects that the kustomization in {@code dir} produces, in the order kustomize would list resources. */
    static List<ObjectNode> render(Path dir) throws IOException {
        JsonNode kustomization = readKustomization(dir);
        List<ObjectNode> objects = new ArrayList<>();
        for (JsonNode resource : kustomization.path("resources")) {
            Path path = dir.resolve(resource.asText()).normalize();
            objects.addAll(Files.isDirectory(path) ? render(path) : readObjects(path));
        }
        for (JsonNode patch : kustomization.path("patches")) {
            for (ObjectNode change : readObjects(dir.resolve(patchPath(dir, patch)))) {
                strategicMerge(target(objects, change, dir), change);
            }
        }
        for (JsonNode replicas : kustomization.path("replicas")) {
            setReplicas(objects, replicas.path("name").asText(), replicas.path("count").asInt(), dir);
        }
        for (JsonNode image : kustomization.path("images")) {
            setImage(objects, image, dir);
        }
        if (kustomization.hasNonNull("namespace")) {
            String namespace = kustomization.get("namespace").asText();
            for (ObjectNode object : objects) {
                if (!CLUSTER_SCOPED_KINDS.contains(object.path("kind").asText())) {
                    ((ObjectNode) object.path("metadata")).put("namespace", namespace);
                }
            }
        }
        return objects;
    }

    /** Every file the kustomization in {@code dir} reads, its own included, following the directories it names. */
    static Set<Path> filesRead(Path dir) throws IOException {
        Set<Path> files = new LinkedHashSet<>();
        files.add(dir.resolve(FILE_NAME).normalize());
        JsonNode kustomization = readKustomization(dir);
        for (JsonNode resource : kustomization.path("resources")) {
            Path path = dir.resolve(resource.asText()).normalize();
            if (Files.isDirectory(path)) {
                files.addAll(filesRead(path));
            } else {
                files.add(path);
            }
        }
        for (JsonNode patch : kustomization.path("patches")) {
            files.add(dir.resolve(patchPath(dir, patch)).normalize());
        }
        return files;
    }

    /** The documents of a YAML file that hold something; a file may hold several, separated by {@code ---}. */
    static List<ObjectNode> readObjects(Path file) throws IOException {
        List<ObjectNode> objects = new ArrayList<>();
        try (MappingIterator<JsonNode> documents = YAML.readerFor(JsonNode.class).readValues(file.toFile())) {
            while (documents.hasNext()) {
                JsonNode document = documents.next();
                if (document instanceof ObjectNode object) {
                    objects.add(object);
                } else if (document != null && !document.isNull() && !document.isMissingNode()) {
                    throw new IllegalArgumentException(file + ": a document that is not a mapping");
                }
            }
        }
        return objects;
    }

    private static JsonNode readKustomization(Path dir) throws IOException {
        Path file = dir.resolve(FILE_NAME);
        JsonNode kustomization = YAML.readTree(file.toFile());
        for (Iterator<String> fields = kustomization.fieldNames(); fields.hasNext(); ) {
            String field = fields.next();
            if (!SUPPORTED_FIELDS.contains(field)) {
                throw new IllegalArgumentException(file + ": '" + field + "' is not rendered by these tests; "
                        + "teach Kustomization to render it before using it");
            }
        }
        return kustomization;
    }

    private static String patchPath(Path dir, JsonNode patch) {
        if (!patch.hasNonNull("path") || patch.size() != 1) {
            throw new IllegalArgumentException(dir.resolve(FILE_NAME) + ": only patches given by path are rendered: "
                    + patch);
        }
        return patch.get("path").asText();
    }

    private static ObjectNode target(List<ObjectNode> objects, ObjectNode patch, Path dir) {
        String kind = patch.path("kind").asText();
        String name = patch.path("metadata").path("name").asText();
        List<ObjectNode> matches = objects.stream()
                .filter(o -> o.path("kind").asText().equals(kind))
                .filter(o -> o.path("metadata").path("name").asText().equals(name))
                .toList();
        if (matches.size() != 1) {
            throw new IllegalArgumentException(dir + ": a patch for " + kind + " " + name + " matches "
                    + matches.size() + " objects");
        }
        return matches.get(0);
    }

    /** Merges {@code patch} into {@code target} in place: maps field by field, listed lists by key, a null deletes. */
    static void strategicMerge(ObjectNode target, JsonNode patch) {
        for (Iterator<Map.Entry<String, JsonNode>> fields = patch.fields(); fields.hasNext(); ) {
            Map.Entry<String, JsonNode> field = fields.next();
            String name = field.getKey();
            JsonNode change = field.getValue();
            if (name.startsWith("$")) {
                throw new IllegalArgumentException("patch directive " + name + " is not rendered by these tests");
            }
            JsonNode current = target.get(name);
            if (change.isNull()) {
                target.remove(name);
            } else if (current instanceof ObjectNode currentObject && change.isObject()) {
                strategicMerge(currentObject, change);
            } else if (current instanceof ArrayNode currentList && change.isArray() && MERGE_KEYS.containsKey(name)) {
                mergeList(currentList, (ArrayNode) change, MERGE_KEYS.get(name));
            } else {
                target.set(name, change.deepCopy());
            }
        }
    }

    private static void mergeList(ArrayNode target, ArrayNode patch, String key) {
        for (JsonNode change : patch) {
            ObjectNode match = null;
            for (JsonNode element : target) {
                if (element.path(key).equals(change.path(key))) {
                    match = (ObjectNode) element;
                }
            }
            if (match == null) {
                target.add(change.deepCopy());
            } else {
                strategicMerge(match, change);
            }
        }
    }

    private static void setReplicas(List<ObjectNode> objects, String name, int count, Path dir) {
        List<ObjectNode> matches = objects.stream()
                .filter(o -> SCALABLE_KINDS.contains(o.path("kind").asText()))
                .filter(o -> o.path("metadata").path("name").asText().equals(name))
                .toList();
        if (matches.isEmpty()) {
            throw new IllegalArgumentException(dir + ": replicas for " + name + ", which is not a workload here");
        }
        matches.forEach(o -> ((ObjectNode) o.path("spec")).put("replicas", count));
    }

    private static void setImage(List<ObjectNode> objects, JsonNode image, Path dir) {
        if (image.has("digest")) {
            throw new IllegalArgumentException(dir + ": image digests are not rendered by these tests");
        }
        String name = image.path("name").asText();
        for (ObjectNode object : objects) {
            for (JsonNode container : containersOf(object)) {
                String current = container.path("image").asText();
                int colon = current.lastIndexOf(':');
                boolean tagged = colon > current.lastIndexOf('/');
                String currentName = tagged ? current.substring(0, colon) : current;
                if (currentName.equals(name)) {
                    String newName = image.path("newName").asText(currentName);
                    String newTag = image.hasNonNull("newTag") ? image.get("newTag").asText()
                            : tagged ? current.substring(colon + 1) : null;
                    ((ObjectNode) container).put("image", newTag == null ? newName : newName + ":" + newTag);
                }
            }
        }
    }

    private static List<JsonNode> containersOf(JsonNode object) {
        List<JsonNode> containers = new ArrayList<>();
        JsonNode podSpec = object.path("spec").path("template").path("spec");
        podSpec.path("initContainers").forEach(containers::add);
        podSpec.path("containers").forEach(containers::add);
        return containers;
    }
}
