package dev.memorymodule.workers.k8s;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import javax.xml.parsers.DocumentBuilderFactory;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobSubjects;
import dev.memorymodule.workers.streams.Subjects;
import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.EnvFromSource;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HTTPGetAction;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KeyToPath;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.PodAffinityTerm;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodTemplateSpec;
import io.fabric8.kubernetes.api.model.Probe;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.api.model.apps.StatefulSet;
import io.fabric8.kubernetes.api.model.batch.v1.Job;
import io.fabric8.kubernetes.api.model.networking.v1.NetworkPolicy;
import io.fabric8.kubernetes.api.model.policy.v1.PodDisruptionBudget;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.w3c.dom.Element;

/**
 * Checks the Kubernetes manifests under {@code k8s/} without a cluster: every file parses, every object reads into
 * the Kubernetes model of its kind with no unknown field, the kustomize layouts render (in Java, since kubectl may
 * be missing), and what the worker needs holds in each of them: references that resolve, probes and metrics on the
 * worker's observability port, environment variables that are configuration keys, NATS routes and stream replicas
 * that fit the cluster size, consumer filters that a work-queue stream accepts.
 */
class ManifestsTest {

    private static final Path K8S = Path.of("k8s");
    private static final Path CAMEL_K = K8S.resolve("camel-k");
    private static final Path ROUTES = Path.of("routes");
    private static final Path PROPERTIES_FILE = Path.of("application.properties");
    private static final Path POM = Path.of("pom.xml");
    private static final List<String> LAYOUTS = List.of("base", "overlays/dev", "overlays/prod");

    private static final String WORKER_IMAGE = "mm-workers";
    private static final String NATS_STATEFULSET = "nats";
    private static final String NATS_CONFIG_MAP = "nats-config";
    private static final String CPU_POOL = "mm-worker-cpu";
    private static final String GPU_POOL = "mm-worker-gpu";
    private static final String INIT_STREAMS_JOB = "mm-init-streams";
    private static final String GPU_RESOURCE = "nvidia.com/gpu";
    private static final int OBSERVE_PORT = 9876;
    private static final String LIVE_PATH = "/observe/health/live";
    private static final String READY_PATH = "/observe/health/ready";
    private static final String METRICS_PATH = "/observe/metrics";
    private static final String SEED_FILE_ENV = "MM_NATS_NKEY_SEED_FILE";
    private static final String SHUTDOWN_TIMEOUT_KEY = "camel.main.shutdown-timeout";
    // Variables a worker container may carry that are not configuration keys, each read by something else
    private static final Set<String> ENV_READ_ELSEWHERE = Set.of(
            "DJL_OFFLINE",        // DJL: no downloads at run time
            "DJL_CACHE_DIR",      // DJL: where native libraries are unpacked
            "JAVA_TOOL_OPTIONS"); // the JVM
    // ConfigMaps the Camel K README has made from repository files rather than from the manifests
    private static final Set<String> MADE_FROM_REPOSITORY = Set.of("mm-worker-routes", "mm-worker-properties");

    private static final Map<String, Class<? extends HasMetadata>> MODEL = Map.of(
            "Namespace", Namespace.class,
            "ConfigMap", ConfigMap.class,
            "Secret", Secret.class,
            "Service", Service.class,
            "StatefulSet", StatefulSet.class,
            "Deployment", Deployment.class,
            "Job", Job.class,
            "NetworkPolicy", NetworkPolicy.class,
            "PodDisruptionBudget", PodDisruptionBudget.class);

    private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
    private static final Pattern INCLUDE = Pattern.compile("(?m)^\\s*include\\s+(\\S+)");
    private static final Pattern REDIRECT = Pattern.compile(">\\s*(/\\S+)");
    private static final Pattern ROUTE = Pattern.compile("nats://([a-z0-9-]+)\\.([a-z0-9-]+):(\\d+)");
    private static final Pattern STORE_DIR = Pattern.compile("(?m)^\\s*store_dir:\\s*(\\S+)");
    private static final Pattern ENV_REFERENCE = Pattern.compile("\\$(NATS_[A-Z_]+)");
    private static final Pattern STREAM_REPLICAS_KEY = Pattern.compile("mm\\.streams\\.([a-z]+)\\.replicas");
    private static final Pattern CONSUMER_FILTER_KEY = Pattern.compile("mm\\.consumer\\.([a-z]+)\\.filter");

    // --- every file ---

    @Test
    void everyYamlFileUnderK8sParses() throws IOException {
        List<Path> files = yamlFiles(K8S);

        assertThat(files).isNotEmpty();
        for (Path file : files) {
            assertThat(Kustomization.readObjects(file)).as("documents in %s", file).isNotEmpty();
        }
    }

    @Test
    void everyManifestIsReadByItsKustomization() throws IOException {
        Set<Path> read = new TreeSet<>();
        for (String layout : LAYOUTS) {
            read.addAll(Kustomization.filesRead(K8S.resolve(layout)));
        }

        List<Path> unread = yamlFiles(K8S).stream()
                .map(Path::normalize)
                .filter(file -> !file.startsWith(CAMEL_K))
                .filter(file -> !read.contains(file))
                .toList();
        assertThat(unread).as("manifests that no kustomization reads").isEmpty();
    }

    // --- each layout ---

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/dev", "overlays/prod" })
    void everyObjectReadsIntoItsModelWithItsRequiredFields(String layout) throws IOException {
        List<ObjectNode> objects = Kustomization.render(K8S.resolve(layout));
        List<String> problems = new ArrayList<>();

        for (ObjectNode object : objects) {
            String kind = object.path("kind").asText();
            String where = kind + " " + object.path("metadata").path("name").asText();
            Class<? extends HasMetadata> type = MODEL.get(kind);
            if (type == null) {
                problems.add(where + ": no model for kind " + kind + " in these checks");
                continue;
            }
            HasMetadata typed = Kustomization.YAML.treeToValue(object, type);
            if (!HasMetadata.getApiVersion(type).equals(typed.getApiVersion())) {
                problems.add(where + ": apiVersion " + typed.getApiVersion() + ", expected "
                        + HasMetadata.getApiVersion(type));
            }
            if (typed.getMetadata() == null || typed.getMetadata().getName() == null
                    || !DNS_LABEL.matcher(typed.getMetadata().getName()).matches()) {
                problems.add(where + ": metadata.name missing or not a DNS label");
            }
            unknownFields(typed, where, problems);
        }
        assertThat(problems).isEmpty();

        Manifests manifests = Manifests.of(objects);
        for (Workload workload : manifests.workloads()) {
            PodSpec pod = workload.template().getSpec();
            assertThat(pod.getContainers()).as("%s containers", workload.name()).isNotEmpty();
            for (Container container : workload.containers()) {
                assertThat(container.getName()).as("a container of %s", workload.name()).isNotBlank();
                assertThat(container.getImage()).as("image of %s/%s", workload.name(), container.getName())
                        .isNotBlank();
                assertThat(container.getResources()).as("resources of %s/%s", workload.name(), container.getName())
                        .isNotNull();
                assertThat(container.getResources().getLimits()).as("memory limit of %s/%s", workload.name(),
                        container.getName()).containsKey("memory");
                for (VolumeMount mount : Optional.ofNullable(container.getVolumeMounts()).orElse(List.of())) {
                    assertThat(workload.volumeNames()).as("volume of mount %s in %s", mount.getMountPath(),
                            workload.name()).contains(mount.getName());
                }
                for (Probe probe : probes(container)) {
                    assertThat(probe.getHttpGet() != null || probe.getExec() != null || probe.getTcpSocket() != null)
                            .as("probe handler in %s/%s", workload.name(), container.getName()).isTrue();
                }
            }
            if (workload.selector() != null) {
                assertThat(workload.template().getMetadata().getLabels()).as("%s pod labels", workload.name())
                        .containsAllEntriesOf(workload.selector());
            }
        }
        for (Service service : manifests.all(Service.class)) {
            assertThat(manifests.workloadsSelectedBy(service.getSpec().getSelector()))
                    .as("pods behind Service %s", service.getMetadata().getName()).isNotEmpty();
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/dev", "overlays/prod" })
    void everyConfigMapAndSecretThatPodsUseIsDefined(String layout) throws IOException {
        Manifests manifests = Manifests.render(layout);
        List<String> missing = new ArrayList<>();

        for (Workload workload : manifests.workloads()) {
            for (Container container : workload.containers()) {
                String where = workload.name() + "/" + container.getName();
                for (EnvVar env : Optional.ofNullable(container.getEnv()).orElse(List.of())) {
                    if (env.getValueFrom() == null) {
                        continue;
                    }
                    var configMapKey = env.getValueFrom().getConfigMapKeyRef();
                    if (configMapKey != null
                            && !manifests.configMapHas(configMapKey.getName(), configMapKey.getKey())) {
                        missing.add(where + " env " + env.getName() + ": ConfigMap " + configMapKey.getName() + " key "
                                + configMapKey.getKey());
                    }
                    var secretKey = env.getValueFrom().getSecretKeyRef();
                    if (secretKey != null && !manifests.secretHas(secretKey.getName(), secretKey.getKey())) {
                        missing.add(where + " env " + env.getName() + ": Secret " + secretKey.getName() + " key "
                                + secretKey.getKey());
                    }
                }
                for (EnvFromSource from : Optional.ofNullable(container.getEnvFrom()).orElse(List.of())) {
                    if (from.getConfigMapRef() != null
                            && manifests.configMap(from.getConfigMapRef().getName()) == null) {
                        missing.add(where + " envFrom: ConfigMap " + from.getConfigMapRef().getName());
                    }
                    if (from.getSecretRef() != null && manifests.secret(from.getSecretRef().getName()) == null) {
                        missing.add(where + " envFrom: Secret " + from.getSecretRef().getName());
                    }
                }
            }
            for (Volume volume : Optional.ofNullable(workload.template().getSpec().getVolumes()).orElse(List.of())) {
                String where = workload.name() + " volume " + volume.getName();
                if (volume.getConfigMap() != null) {
                    String name = volume.getConfigMap().getName();
                    if (manifests.configMap(name) == null) {
                        missing.add(where + ": ConfigMap " + name);
                    }
                    for (KeyToPath item : Optional.ofNullable(volume.getConfigMap().getItems()).orElse(List.of())) {
                        if (!manifests.configMapHas(name, item.getKey())) {
                            missing.add(where + ": ConfigMap " + name + " key " + item.getKey());
                        }
                    }
                }
                if (volume.getSecret() != null) {
                    String name = volume.getSecret().getSecretName();
                    if (manifests.secret(name) == null) {
                        missing.add(where + ": Secret " + name);
                    }
                    for (KeyToPath item : Optional.ofNullable(volume.getSecret().getItems()).orElse(List.of())) {
                        if (!manifests.secretHas(name, item.getKey())) {
                            missing.add(where + ": Secret " + name + " key " + item.getKey());
                        }
                    }
                }
            }
        }
        assertThat(missing).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/dev", "overlays/prod" })
    void workersAreProbedAndScrapedOnTheObservabilityPort(String layout) throws IOException {
        Manifests manifests = Manifests.render(layout);
        List<Workload> workers = manifests.workers();

        assertThat(workers).extracting(Workload::name).containsExactlyInAnyOrder(CPU_POOL, GPU_POOL);
        for (Workload worker : workers) {
            Container container = worker.workerContainer();
            assertHttpProbe(container, container.getLivenessProbe(), LIVE_PATH, worker.name() + " liveness");
            assertHttpProbe(container, container.getReadinessProbe(), READY_PATH, worker.name() + " readiness");
            assertHttpProbe(container, container.getStartupProbe(), LIVE_PATH, worker.name() + " startup");

            Map<String, String> annotations = worker.template().getMetadata().getAnnotations();
            assertThat(annotations).as("%s scrape annotations", worker.name())
                    .containsEntry("prometheus.io/scrape", "true")
                    .containsEntry("prometheus.io/port", String.valueOf(OBSERVE_PORT))
                    .containsEntry("prometheus.io/path", METRICS_PATH);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/dev", "overlays/prod" })
    void workersOutliveTheirShutdownTimeout(String layout) throws IOException {
        long shutdownTimeout = Long.parseLong(properties().getProperty(SHUTDOWN_TIMEOUT_KEY).trim());

        for (Workload worker : Manifests.render(layout).workers()) {
            Long grace = worker.template().getSpec().getTerminationGracePeriodSeconds();
            assertNotNull(grace, worker.name() + " terminationGracePeriodSeconds");
            assertThat(grace).as("%s grace period against %s", worker.name(), SHUTDOWN_TIMEOUT_KEY)
                    .isGreaterThan(shutdownTimeout);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/dev", "overlays/prod" })
    void everyVariableSetOnAWorkerIsAConfigurationKey(String layout) throws IOException {
        Set<String> keysAsVariables = properties().stringPropertyNames().stream()
                .map(ManifestsTest::variableName)
                .collect(Collectors.toSet());
        Manifests manifests = Manifests.render(layout);
        List<String> strays = new ArrayList<>();

        for (Workload workload : manifests.workloadsRunning(WORKER_IMAGE)) {
            for (String variable : manifests.environment(workload.workerContainer()).keySet()) {
                if (!keysAsVariables.contains(variable) && !ENV_READ_ELSEWHERE.contains(variable)) {
                    strays.add(workload.name() + ": " + variable);
                }
            }
        }
        assertThat(manifests.workloadsRunning(WORKER_IMAGE)).extracting(Workload::name)
                .contains(CPU_POOL, GPU_POOL, INIT_STREAMS_JOB);
        assertThat(strays).as("variables that no key of %s reads", PROPERTIES_FILE).isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/dev", "overlays/prod" })
    void theNkeySeedFileIsMountedFromASecret(String layout) throws IOException {
        Manifests manifests = Manifests.render(layout);

        for (Workload workload : manifests.workloadsRunning(WORKER_IMAGE)) {
            Container container = workload.workerContainer();
            String seedFile = manifests.environment(container).get(SEED_FILE_ENV);
            assertNotNull(seedFile, workload.name() + " " + SEED_FILE_ENV);

            Path file = Path.of(seedFile);
            VolumeMount mount = container.getVolumeMounts().stream()
                    .filter(m -> file.getParent().equals(Path.of(m.getMountPath())))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(workload.name() + ": nothing mounted at "
                            + file.getParent()));
            Volume volume = workload.volume(mount.getName());
            assertNotNull(volume.getSecret(), workload.name() + ": " + seedFile + " must come from a Secret");
            assertTrue(manifests.secretHas(volume.getSecret().getSecretName(), file.getFileName().toString()),
                    workload.name() + ": Secret " + volume.getSecret().getSecretName() + " has no key "
                            + file.getFileName());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/dev", "overlays/prod" })
    void natsRoutesAndStreamReplicasFitTheClusterSize(String layout) throws IOException {
        Manifests manifests = Manifests.render(layout);
        StatefulSet nats = manifests.find(StatefulSet.class, NATS_STATEFULSET);
        int servers = nats.getSpec().getReplicas();

        Map<String, String> config = manifests.configMap(NATS_CONFIG_MAP).getData();
        Set<String> routedPods = new TreeSet<>();
        Matcher route = ROUTE.matcher(config.get("cluster.conf"));
        while (route.find()) {
            routedPods.add(route.group(1));
            assertEquals(nats.getSpec().getServiceName(), route.group(2), "route " + route.group());
        }
        Set<String> pods = new TreeSet<>();
        for (int ordinal = 0; ordinal < servers; ordinal++) {
            pods.add(NATS_STATEFULSET + "-" + ordinal);
        }
        assertEquals(pods, routedPods, "cluster.conf routes against " + servers + " replicas");
        Service headless = manifests.find(Service.class, nats.getSpec().getServiceName());
        assertEquals("None", headless.getSpec().getClusterIP(), "the route Service must be headless");

        Set<String> streams = streamsOfConfiguration();
        for (Workload workload : manifests.workloadsRunning(WORKER_IMAGE)) {
            Map<String, String> environment = manifests.environment(workload.workerContainer());
            for (String stream : streams) {
                String variable = "MM_STREAMS_" + stream.toUpperCase(Locale.ROOT) + "_REPLICAS";
                assertThat(environment).as("%s in %s", variable, workload.name()).containsKey(variable);
                int replicas = Integer.parseInt(environment.get(variable));
                assertThat(replicas).as("%s in %s with %d NATS servers", variable, workload.name(), servers)
                        .isBetween(1, servers);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/dev", "overlays/prod" })
    void everyNatsServerGetsItsServerNameFromTheInitContainer(String layout) throws IOException {
        Manifests manifests = Manifests.render(layout);
        Workload nats = manifests.workload(NATS_STATEFULSET);
        Container server = nats.container(NATS_STATEFULSET);
        Container init = nats.template().getSpec().getInitContainers().stream()
                .filter(c -> String.join(" ", c.getCommand()).contains("server_name"))
                .findFirst()
                .orElseThrow(() -> new AssertionError("no init container writes server_name"));

        String script = String.join(" ", init.getCommand()) + " " + String.join(" ",
                Optional.ofNullable(init.getArgs()).orElse(List.of()));
        Matcher written = REDIRECT.matcher(script);
        assertTrue(written.find(), "the init container writes its line to a file: " + script);
        Path serverNameFile = Path.of(written.group(1));
        assertThat(init.getEnv()).as("the pod name for the init container")
                .anyMatch(env -> env.getValueFrom() != null && env.getValueFrom().getFieldRef() != null
                        && "metadata.name".equals(env.getValueFrom().getFieldRef().getFieldPath()));
        String shared = volumeHolding(init, serverNameFile);
        assertEquals(shared, volumeHolding(server, serverNameFile),
                "the server sees the file the init container wrote");

        Path configFile = Path.of(server.getCommand().get(server.getCommand().indexOf("--config") + 1));
        Volume configVolume = nats.volume(volumeHolding(server, configFile));
        assertNotNull(configVolume.getConfigMap(), "nats.conf comes from a ConfigMap");
        Map<String, String> config = manifests.configMap(configVolume.getConfigMap().getName()).getData();
        String mainConfig = config.get(configFile.getFileName().toString());
        assertNotNull(mainConfig, configFile + " in ConfigMap " + configVolume.getConfigMap().getName());

        List<Path> included = new ArrayList<>();
        Matcher include = INCLUDE.matcher(mainConfig);
        while (include.find()) {
            included.add(configFile.getParent().resolve(include.group(1)).normalize());
        }
        assertThat(included).as("files nats.conf includes").contains(serverNameFile);
        for (Path file : included) {
            if (file.getParent().equals(configFile.getParent())) {
                assertThat(config).as("included %s", file).containsKey(file.getFileName().toString());
            }
        }

        Matcher storeDir = STORE_DIR.matcher(mainConfig);
        assertTrue(storeDir.find(), "nats.conf sets the JetStream store_dir");
        String storeVolume = volumeHolding(server, Path.of(storeDir.group(1)));
        StatefulSet statefulSet = manifests.find(StatefulSet.class, NATS_STATEFULSET);
        assertThat(statefulSet.getSpec().getVolumeClaimTemplates()).as("JetStream store on a persistent volume")
                .anyMatch(claim -> claim.getMetadata().getName().equals(storeVolume));

        Set<String> serverVariables = manifests.environment(server).keySet();
        Matcher reference = ENV_REFERENCE.matcher(String.join("\n", config.values()));
        while (reference.find()) {
            assertThat(serverVariables).as("variable the NATS config reads").contains(reference.group(1));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/dev", "overlays/prod" })
    void workerPoolsShareNoSubjectOfAWorkQueueStream(String layout) throws IOException {
        Manifests manifests = Manifests.render(layout);
        Properties properties = properties();
        Set<String> lanes = new TreeSet<>();
        for (String key : properties.stringPropertyNames()) {
            Matcher filterKey = CONSUMER_FILTER_KEY.matcher(key);
            if (filterKey.matches()) {
                lanes.add(filterKey.group(1));
            }
        }
        assertThat(lanes).contains("online", "offline", "write");

        Map<String, Map<String, String>> filtersByPool = new TreeMap<>();
        for (Workload worker : manifests.workers()) {
            Map<String, String> environment = manifests.environment(worker.workerContainer());
            String pool = environment.getOrDefault("MM_WORKER_POOL", properties.getProperty("mm.worker.pool"));
            assertFalse(filtersByPool.containsKey(pool), "pool " + pool + " names one Deployment only");
            Map<String, String> filters = new TreeMap<>();
            for (String lane : lanes) {
                String prefix = "mm.consumer." + lane + ".";
                String enabled = environment.getOrDefault(variableName(prefix + "enabled"),
                        properties.getProperty(prefix + "enabled", "true"));
                if (Boolean.parseBoolean(enabled.trim())) {
                    String filter = environment.getOrDefault(variableName(prefix + "filter"),
                            properties.getProperty(prefix + "filter")).trim();
                    String streamSubjects = properties.getProperty("mm.streams." + lane + ".subjects").trim();
                    assertTrue(Subjects.within(filter, streamSubjects),
                            pool + "-" + lane + ": filter " + filter + " outside the stream's " + streamSubjects);
                    filters.put(lane, filter);
                }
            }
            filtersByPool.put(pool, filters);
        }

        ObjectMapper json = new ObjectMapper();
        for (String lane : lanes) {
            for (String type : List.of("embed", "retrieve", "index", "pg_write", "qdrant_upsert")) {
                for (String zone : List.of("A", "B", "C", "")) {
                    for (boolean gpu : List.of(true, false)) {
                        ObjectNode job = json.createObjectNode().put("type", type).put("priority", lane);
                        ObjectNode requirements = job.putObject("requirements").put("needs_gpu", gpu);
                        if (!zone.isEmpty()) {
                            requirements.put("trust_zone", zone);
                        }
                        String subject = JobSubjects.subject(job);
                        if (!subject.startsWith("mm." + lane + ".")) {
                            continue;
                        }
                        List<String> takers = filtersByPool.entrySet().stream()
                                .filter(pool -> pool.getValue().containsKey(lane))
                                .filter(pool -> Subjects.matches(pool.getValue().get(lane), subject))
                                .map(Map.Entry::getKey)
                                .toList();
                        assertThat(takers).as("durable consumers that take %s", subject).hasSize(1);
                    }
                }
            }
            List<String> pools = new ArrayList<>(filtersByPool.keySet());
            for (int i = 0; i < pools.size(); i++) {
                for (int j = i + 1; j < pools.size(); j++) {
                    String a = filtersByPool.get(pools.get(i)).get(lane);
                    String b = filtersByPool.get(pools.get(j)).get(lane);
                    assertFalse(a != null && b != null && Subjects.overlap(a, b),
                            lane + ": " + pools.get(i) + " (" + a + ") and " + pools.get(j) + " (" + b + ") overlap");
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/dev", "overlays/prod" })
    void theGpuPoolAsksForAGpuAndTheCpuPoolDoesNot(String layout) throws IOException {
        Manifests manifests = Manifests.render(layout);
        Workload gpu = manifests.workload(GPU_POOL);
        Workload cpu = manifests.workload(CPU_POOL);

        assertEquals(new Quantity("1"), gpu.workerContainer().getResources().getLimits().get(GPU_RESOURCE));
        assertThat(gpu.template().getSpec().getNodeSelector()).containsEntry("memorymodule.dev/pool", "gpu");
        assertThat(gpu.template().getSpec().getTolerations()).anyMatch(t -> GPU_RESOURCE.equals(t.getKey()));
        assertThat(cpu.workerContainer().getResources().getLimits()).doesNotContainKey(GPU_RESOURCE);
        assertThat(manifests.environment(gpu.workerContainer())).containsEntry("MM_WORKER_POOL", "gpu");
        assertThat(manifests.environment(cpu.workerContainer())).containsEntry("MM_WORKER_POOL", "cpu");
    }

    // --- what differs between the overlays ---

    @Test
    void devRunsTwoNatsServersWithSingleReplicaStreams() throws IOException {
        Manifests dev = Manifests.render("overlays/dev");

        assertEquals(2, dev.find(StatefulSet.class, NATS_STATEFULSET).getSpec().getReplicas());
        Map<String, String> job = dev.environment(dev.workload(INIT_STREAMS_JOB).workerContainer());
        for (String stream : streamsOfConfiguration()) {
            assertThat(job).containsEntry("MM_STREAMS_" + stream.toUpperCase(Locale.ROOT) + "_REPLICAS", "1");
        }
    }

    @Test
    void prodRunsThreeNatsServersWithTripleReplicaStreamsSpreadAndGuarded() throws IOException {
        Manifests prod = Manifests.render("overlays/prod");
        Manifests dev = Manifests.render("overlays/dev");

        StatefulSet nats = prod.find(StatefulSet.class, NATS_STATEFULSET);
        assertEquals(3, nats.getSpec().getReplicas());
        Map<String, String> job = prod.environment(prod.workload(INIT_STREAMS_JOB).workerContainer());
        for (String stream : streamsOfConfiguration()) {
            assertThat(job).containsEntry("MM_STREAMS_" + stream.toUpperCase(Locale.ROOT) + "_REPLICAS", "3");
        }

        List<PodAffinityTerm> apart = nats.getSpec().getTemplate().getSpec().getAffinity().getPodAntiAffinity()
                .getRequiredDuringSchedulingIgnoredDuringExecution();
        assertThat(apart).as("NATS servers on separate nodes")
                .anyMatch(term -> "kubernetes.io/hostname".equals(term.getTopologyKey()));

        for (String name : List.of(NATS_STATEFULSET, CPU_POOL, GPU_POOL)) {
            Workload workload = prod.workload(name);
            assertThat(prod.all(PodDisruptionBudget.class)).as("disruption budget for %s", name)
                    .anyMatch(pdb -> workload.template().getMetadata().getLabels().entrySet()
                            .containsAll(pdb.getSpec().getSelector().getMatchLabels().entrySet()));
            assertNotNull(workload.template().getSpec().getAffinity(), name + " affinity");
        }
        for (String pool : List.of(CPU_POOL, GPU_POOL)) {
            assertThat(prod.workload(pool).replicas()).as("%s replicas in prod against dev", pool)
                    .isGreaterThan(dev.workload(pool).replicas());
        }
    }

    /** The Java rendering must be the one kustomize gives, wherever kubectl can tell. */
    @ParameterizedTest
    @ValueSource(strings = { "base", "overlays/dev", "overlays/prod" })
    void javaRenderingMatchesKubectlKustomize(String layout) throws Exception {
        Optional<Path> kubectl = onPath("kubectl");
        Assumptions.assumeTrue(kubectl.isPresent(), "kubectl is not installed");

        Process process = new ProcessBuilder(kubectl.get().toString(), "kustomize", K8S.resolve(layout).toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT)
                .start();
        byte[] output;
        try (InputStream out = process.getInputStream()) {
            output = out.readAllBytes();
        }
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "kubectl kustomize finished");
        assertEquals(0, process.exitValue(), "kubectl kustomize " + layout);
        Path rendered = Files.createTempFile("kustomize", ".yaml");
        try {
            Files.write(rendered, output);
            assertEquals(byKindAndName(Kustomization.readObjects(rendered)),
                    byKindAndName(Kustomization.render(K8S.resolve(layout))));
        } finally {
            Files.delete(rendered);
        }
    }

    // --- Camel K ---

    @Test
    void camelKIntegrationsRunThisProjectsRoutesAndJar() throws Exception {
        List<ObjectNode> integrations = camelKIntegrations();
        Set<String> routeFiles;
        try (Stream<Path> files = Files.list(ROUTES)) {
            routeFiles = files.map(f -> f.getFileName().toString())
                    .filter(f -> f.endsWith(".camel.yaml"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
        String dependency = "mvn:" + pomValue("groupId") + ":" + pomValue("artifactId") + ":" + pomValue("version");

        assertThat(integrations).extracting(i -> i.path("metadata").path("name").asText())
                .containsExactlyInAnyOrder(CPU_POOL, GPU_POOL);
        for (ObjectNode integration : integrations) {
            GenericKubernetesResource typed =
                    Kustomization.YAML.treeToValue(integration, GenericKubernetesResource.class);
            assertEquals("camel.apache.org/v1", typed.getApiVersion());
            assertEquals("Integration", typed.getKind());

            JsonNode spec = integration.path("spec");
            Set<String> sources = new TreeSet<>();
            for (JsonNode source : spec.path("sources")) {
                assertEquals(source.path("name").asText(), source.path("contentKey").asText(), "source " + source);
                assertThat(MADE_FROM_REPOSITORY).contains(source.path("contentRef").asText());
                sources.add(source.path("contentKey").asText());
            }
            assertEquals(routeFiles, sources, "sources of " + typed.getMetadata().getName() + " against routes/");
            assertThat(textValues(spec.path("dependencies"))).contains(dependency);

            PodTemplateSpec template = Kustomization.YAML.treeToValue(spec.path("template"), PodTemplateSpec.class);
            List<String> problems = new ArrayList<>();
            unknownFields(template, typed.getMetadata().getName() + " template", problems);
            assertThat(problems).isEmpty();
            long shutdownTimeout = Long.parseLong(properties().getProperty(SHUTDOWN_TIMEOUT_KEY).trim());
            assertThat(template.getSpec().getTerminationGracePeriodSeconds()).isGreaterThan(shutdownTimeout);
        }
    }

    @Test
    void camelKIntegrationsMatchTheWorkerDeployments() throws Exception {
        Manifests base = Manifests.render("base");

        for (ObjectNode integration : camelKIntegrations()) {
            String name = integration.path("metadata").path("name").asText();
            JsonNode traits = integration.path("spec").path("traits");
            Workload worker = base.workload(name);
            Map<String, String> deployed = base.environment(worker.workerContainer());

            JsonNode health = traits.path("health");
            assertEquals(LIVE_PATH, health.path("livenessProbe").asText());
            assertEquals(READY_PATH, health.path("readinessProbe").asText());
            assertEquals(LIVE_PATH, health.path("startupProbe").asText());
            for (String port : List.of("livenessPort", "readinessPort", "startupPort")) {
                assertEquals(OBSERVE_PORT, health.path(port).asInt(), name + " " + port);
            }
            assertTrue(traits.path("prometheus").path("enabled").asBoolean(), name + " prometheus trait");

            Map<String, String> integrated = new TreeMap<>();
            for (String entry : textValues(traits.path("environment").path("vars"))) {
                int equals = entry.indexOf('=');
                integrated.put(entry.substring(0, equals), entry.substring(equals + 1));
            }
            for (String property : textValues(traits.path("camel").path("properties"))) {
                integrated.put(variableName(property.substring(0, property.indexOf('='))), "(property)");
            }
            if (!traits.path("jvm").path("options").isEmpty()) {
                integrated.put("JAVA_TOOL_OPTIONS", "(jvm trait)");
            }
            assertEquals(new TreeSet<>(deployed.keySet()), integrated.keySet(),
                    name + ": variables of the Integration against the Deployment");
            for (Map.Entry<String, String> variable : integrated.entrySet()) {
                String value = variable.getValue();
                if (value.startsWith("configmap:") || value.startsWith("secret:")) {
                    String[] reference = value.substring(value.indexOf(':') + 1).split("/", 2);
                    boolean defined = value.startsWith("configmap:")
                            ? base.configMapHas(reference[0], reference[1])
                            : base.secretHas(reference[0], reference[1]);
                    assertTrue(defined, name + " " + variable.getKey() + ": " + value + " is not defined in base");
                } else if (!value.startsWith("(")) {
                    assertEquals(deployed.get(variable.getKey()), value, name + " " + variable.getKey());
                }
            }

            for (String mounted : textValues(traits.path("mount").path("configs"))) {
                assertThat(MADE_FROM_REPOSITORY).as("%s config %s", name, mounted)
                        .contains(mounted.substring(mounted.indexOf(':') + 1));
            }
            String seedFile = deployed.get(SEED_FILE_ENV);
            assertThat(textValues(traits.path("mount").path("resources")))
                    .as("%s: the Secret holding %s", name, seedFile)
                    .anySatisfy(resource -> {
                        String secret = resource.substring("secret:".length(), resource.indexOf('@'));
                        assertThat(resource).startsWith("secret:");
                        Path mountedAt = Path.of(resource.substring(resource.indexOf('@') + 1));
                        assertEquals(Path.of(seedFile).getParent(), mountedAt);
                        assertTrue(base.secretHas(secret, Path.of(seedFile).getFileName().toString()));
                    });
        }
    }

    // --- helpers ---

    private static void assertHttpProbe(Container container, Probe probe, String path, String what) {
        assertNotNull(probe, what);
        HTTPGetAction get = probe.getHttpGet();
        assertNotNull(get, what + " over HTTP");
        assertEquals(path, get.getPath(), what + " path");
        int port = get.getPort().getIntVal() != null ? get.getPort().getIntVal()
                : container.getPorts().stream()
                        .filter(p -> get.getPort().getStrVal().equals(p.getName()))
                        .findFirst()
                        .orElseThrow(() -> new AssertionError(what + ": no port named " + get.getPort().getStrVal()))
                        .getContainerPort();
        assertEquals(OBSERVE_PORT, port, what + " port");
    }

    private static List<Probe> probes(Container container) {
        return Stream.of(container.getLivenessProbe(), container.getReadinessProbe(), container.getStartupProbe())
                .filter(p -> p != null)
                .toList();
    }

    /** The volume whose mount in {@code container} holds {@code file}. */
    private static String volumeHolding(Container container, Path file) {
        return container.getVolumeMounts().stream()
                .filter(mount -> file.startsWith(Path.of(mount.getMountPath())))
                .findFirst()
                .orElseThrow(() -> new AssertionError(container.getName() + " has no mount holding " + file))
                .getName();
    }

    /**
     * Fields a manifest sets that its model does not know land in the model's additional properties instead of
     * failing the read: a misspelt field would pass unseen, so every object of the tree is looked at.
     */
    private static void unknownFields(Object value, String path, List<String> problems) {
        if (value == null) {
            return;
        }
        if (value instanceof Collection<?> list) {
            int index = 0;
            for (Object element : list) {
                unknownFields(element, path + "[" + index++ + "]", problems);
            }
            return;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                unknownFields(entry.getValue(), path + "." + entry.getKey(), problems);
            }
            return;
        }
        if (!value.getClass().getPackageName().startsWith("io.fabric8.kubernetes.api.model")) {
            return;
        }
        for (Class<?> type = value.getClass(); type != null && type != Object.class; type = type.getSuperclass()) {
            for (Field field : type.getDeclaredFields()) {
                if (Modifier.isStatic(field.getModifiers())) {
                    continue;
                }
                field.setAccessible(true);
                Object fieldValue;
                try {
                    fieldValue = field.get(value);
                } catch (IllegalAccessException e) {
                    throw new IllegalStateException(e);
                }
                if (field.getName().equals("additionalProperties")) {
                    if (fieldValue instanceof Map<?, ?> extra && !extra.isEmpty()) {
                        problems.add(path + ": unknown field(s) " + extra.keySet());
                    }
                } else {
                    unknownFields(fieldValue, path + "." + field.getName(), problems);
                }
            }
        }
    }

    private static Map<String, JsonNode> byKindAndName(List<ObjectNode> objects) {
        Map<String, JsonNode> byName = new TreeMap<>();
        for (ObjectNode object : objects) {
            byName.put(object.path("kind").asText() + "/" + object.path("metadata").path("name").asText(), object);
        }
        return byName;
    }

    private static List<ObjectNode> camelKIntegrations() throws IOException {
        List<ObjectNode> integrations = new ArrayList<>();
        for (Path file : yamlFiles(CAMEL_K)) {
            integrations.addAll(Kustomization.readObjects(file));
        }
        return integrations;
    }

    private static List<String> textValues(JsonNode array) {
        List<String> values = new ArrayList<>();
        array.forEach(value -> values.add(value.asText()));
        return values;
    }

    private static List<Path> yamlFiles(Path root) throws IOException {
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(Files::isRegularFile)
                    .filter(f -> f.toString().endsWith(".yaml") || f.toString().endsWith(".yml"))
                    .sorted()
                    .toList();
        }
    }

    /** The environment variable that overrides a configuration key: upper case, dots and dashes as underscores. */
    static String variableName(String key) {
        return key.trim().toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_');
    }

    private static Properties properties() throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(PROPERTIES_FILE)) {
            properties.load(reader);
        }
        return properties;
    }

    private static Set<String> streamsOfConfiguration() throws IOException {
        Set<String> streams = new TreeSet<>();
        for (String key : properties().stringPropertyNames()) {
            Matcher matcher = STREAM_REPLICAS_KEY.matcher(key);
            if (matcher.matches()) {
                streams.add(matcher.group(1));
            }
        }
        assertThat(streams).contains("online", "offline", "write", "events", "dlq");
        return streams;
    }

    private static String pomValue(String element) throws Exception {
        Element project = DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(POM.toFile())
                .getDocumentElement();
        for (var node = project.getFirstChild(); node != null; node = node.getNextSibling()) {
            if (node instanceof Element child && child.getTagName().equals(element)) {
                return child.getTextContent().trim();
            }
        }
        return fail("pom.xml has no " + element);
    }

    private static Optional<Path> onPath(String program) {
        return Stream.of(Optional.ofNullable(System.getenv("PATH")).orElse("").split(java.io.File.pathSeparator))
                .filter(dir -> !dir.isBlank())
                .map(dir -> Path.of(dir, program))
                .filter(Files::isExecutable)
                .findFirst();
    }

    /** A pod template and where it comes from: a Deployment, a StatefulSet or a Job. */
    record Workload(String kind, String name, Map<String, String> selector, PodTemplateSpec template,
                    Integer replicas, List<String> claimNames) {

        List<Container> containers() {
            List<Container> containers = new ArrayList<>(template.getSpec().getContainers());
            containers.addAll(Optional.ofNullable(template.getSpec().getInitContainers()).orElse(List.of()));
            return containers;
        }

        Container container(String containerName) {
            return containers().stream()
                    .filter(c -> c.getName().equals(containerName))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(name + " has no container " + containerName));
        }

        /** The container that runs the worker image. */
        Container workerContainer() {
            return containers().stream()
                    .filter(c -> runs(c, WORKER_IMAGE))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(name + " runs no " + WORKER_IMAGE + " container"));
        }

        Set<String> volumeNames() {
            Set<String> names = new TreeSet<>(claimNames);
            Optional.ofNullable(template.getSpec().getVolumes()).orElse(List.of())
                    .forEach(volume -> names.add(volume.getName()));
            return names;
        }

        Volume volume(String volumeName) {
            return template.getSpec().getVolumes().stream()
                    .filter(v -> v.getName().equals(volumeName))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError(name + " has no volume " + volumeName));
        }

        static boolean runs(Container container, String image) {
            String reference = container.getImage();
            String withoutTag = reference.substring(0, reference.lastIndexOf(':') > reference.lastIndexOf('/')
                    ? reference.lastIndexOf(':') : reference.length());
            return withoutTag.equals(image) || withoutTag.endsWith("/" + image);
        }
    }

    /** The objects one layout renders to, typed, with the look-ups the checks need. */
    record Manifests(List<HasMetadata> objects) {

        static Manifests render(String layout) throws IOException {
            return of(Kustomization.render(K8S.resolve(layout)));
        }

        static Manifests of(List<ObjectNode> rendered) throws IOException {
            List<HasMetadata> typed = new ArrayList<>();
            for (ObjectNode object : rendered) {
                Class<? extends HasMetadata> type = MODEL.get(object.path("kind").asText());
                assertNotNull(type, "model for " + object.path("kind").asText());
                typed.add(Kustomization.YAML.treeToValue(object, type));
            }
            return new Manifests(typed);
        }

        <T extends HasMetadata> List<T> all(Class<T> type) {
            return objects.stream().filter(type::isInstance).map(type::cast).toList();
        }

        <T extends HasMetadata> T find(Class<T> type, String name) {
            return all(type).stream()
                    .filter(o -> o.getMetadata().getName().equals(name))
                    .findFirst()
                    .orElseThrow(() -> new AssertionError("no " + type.getSimpleName() + " " + name));
        }

        ConfigMap configMap(String name) {
            return all(ConfigMap.class).stream().filter(c -> c.getMetadata().getName().equals(name)).findFirst()
                    .orElse(null);
        }

        Secret secret(String name) {
            return all(Secret.class).stream().filter(s -> s.getMetadata().getName().equals(name)).findFirst()
                    .orElse(null);
        }

        boolean configMapHas(String name, String key) {
            ConfigMap configMap = configMap(name);
            return configMap != null && configMap.getData() != null && configMap.getData().containsKey(key);
        }

        boolean secretHas(String name, String key) {
            Secret secret = secret(name);
            return secret != null && (secret.getData() != null && secret.getData().containsKey(key)
                    || secret.getStringData() != null && secret.getStringData().containsKey(key));
        }

        List<Workload> workloads() {
            List<Workload> workloads = new ArrayList<>();
            for (Deployment d : all(Deployment.class)) {
                workloads.add(new Workload("Deployment", d.getMetadata().getName(),
                        d.getSpec().getSelector().getMatchLabels(), d.getSpec().getTemplate(),
                        d.getSpec().getReplicas(), List.of()));
            }
            for (StatefulSet s : all(StatefulSet.class)) {
                List<String> claims = Optional.ofNullable(s.getSpec().getVolumeClaimTemplates()).orElse(List.of())
                        .stream().map(c -> c.getMetadata().getName()).toList();
                workloads.add(new Workload("StatefulSet", s.getMetadata().getName(),
                        s.getSpec().getSelector().getMatchLabels(), s.getSpec().getTemplate(),
                        s.getSpec().getReplicas(), claims));
            }
            for (Job j : all(Job.class)) {
                workloads.add(new Workload("Job", j.getMetadata().getName(), null, j.getSpec().getTemplate(), 1,
                        List.of()));
            }
            return workloads;
        }

        Workload workload(String name) {
            return workloads().stream().filter(w -> w.name().equals(name)).findFirst()
                    .orElseThrow(() -> new AssertionError("no workload " + name));
        }

        List<Workload> workloadsRunning(String image) {
            return workloads().stream()
                    .filter(w -> w.containers().stream().anyMatch(c -> Workload.runs(c, image)))
                    .toList();
        }

        /** The worker pools: Deployments that run the worker image. */
        List<Workload> workers() {
            return workloadsRunning(WORKER_IMAGE).stream().filter(w -> w.kind().equals("Deployment")).toList();
        }

        List<Workload> workloadsSelectedBy(Map<String, String> selector) {
            return workloads().stream()
                    .filter(w -> w.template().getMetadata().getLabels().entrySet().containsAll(selector.entrySet()))
                    .toList();
        }

        /**
         * The variables a container starts with: those of its envFrom ConfigMaps, then its own env, which win.
         * A variable taken from a Secret or a field shows where it comes from instead of a value.
         */
        Map<String, String> environment(Container container) {
            Map<String, String> environment = new LinkedHashMap<>();
            for (EnvFromSource from : Optional.ofNullable(container.getEnvFrom()).orElse(List.of())) {
                if (from.getConfigMapRef() != null) {
                    ConfigMap configMap = configMap(from.getConfigMapRef().getName());
                    assertNotNull(configMap, "ConfigMap " + from.getConfigMapRef().getName());
                    environment.putAll(configMap.getData());
                }
                if (from.getSecretRef() != null) {
                    Secret secret = secret(from.getSecretRef().getName());
                    assertNotNull(secret, "Secret " + from.getSecretRef().getName());
                    Map<String, String> keys = new HashMap<>();
                    Optional.ofNullable(secret.getData()).ifPresent(keys::putAll);
                    Optional.ofNullable(secret.getStringData()).ifPresent(keys::putAll);
                    String origin = "(secret " + secret.getMetadata().getName() + ")";
                    keys.keySet().forEach(key -> environment.put(key, origin));
                }
            }
            for (EnvVar env : Optional.ofNullable(container.getEnv()).orElse(List.of())) {
                if (env.getValueFrom() == null) {
                    environment.put(env.getName(), env.getValue());
                } else if (env.getValueFrom().getConfigMapKeyRef() != null) {
                    var ref = env.getValueFrom().getConfigMapKeyRef();
                    environment.put(env.getName(), configMapHas(ref.getName(), ref.getKey())
                            ? configMap(ref.getName()).getData().get(ref.getKey()) : null);
                } else {
                    environment.put(env.getName(), "(" + env.getValueFrom() + ")");
                }
            }
            return environment;
        }
    }
}
