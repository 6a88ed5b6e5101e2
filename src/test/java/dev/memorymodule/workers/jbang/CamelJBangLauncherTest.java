package dev.memorymodule.workers.jbang;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Properties;

import javax.xml.parsers.DocumentBuilderFactory;

import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.Node;

/**
 * Checks that {@code camel-jbang/} agrees with the project without running it (running it downloads Camel JBang):
 * the launcher runs the Camel of the project's build, {@code camel run} is told to add this very jar, and the launcher
 * script starts the class its module compiles.
 */
class CamelJBangLauncherTest {

    private static final Path LAUNCHER = Path.of("camel-jbang");

    @Test
    void launcherRunsTheCamelVersionOfTheBuild() throws Exception {
        Document project = parse(Path.of("pom.xml"));
        Document launcher = parse(LAUNCHER.resolve("pom.xml"));

        Element jbangCore = dependency(launcher, "org.apache.camel", "camel-jbang-core");
        assertThat(resolve(launcher, text(jbangCore, "version")))
                .as("camel-jbang-core in camel-jbang/pom.xml")
                .isEqualTo(property(project, "camel.version"));
    }

    @Test
    void camelRunAddsThisProjectsJar() throws Exception {
        Document project = parse(Path.of("pom.xml"));
        String coordinates = String.join(":", text(project.getDocumentElement(), "groupId"),
                text(project.getDocumentElement(), "artifactId"), text(project.getDocumentElement(), "version"));

        Properties config = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("application.properties"))) {
            config.load(reader);
        }
        String dependencies = config.getProperty("camel.jbang.dependencies", "");

        List<String> listed = Arrays.stream(dependencies.split(",")).map(String::trim).toList();
        assertThat(listed).as("camel.jbang.dependencies in application.properties").contains(coordinates);
    }

    @Test
    void scriptStartsTheClassTheLauncherModuleCompiles() throws IOException {
        Path script = LAUNCHER.resolve("camel");
        Path source = LAUNCHER.resolve("src/main/java/main/CamelJBang.java");

        assertThat(Files.isExecutable(script)).as("%s is executable", script).isTrue();
        assertThat(Files.readString(script)).contains(" main.CamelJBang ");
        assertThat(Files.readString(source)).contains("package main;", "class CamelJBang");
    }

    @Test
    void launcherCacheIsIgnoredByGit() throws IOException {
        // the cache holds the downloaded Camel JBang jars; they must never be committed
        assertThat(Files.readAllLines(Path.of(".gitignore"))).contains("camel-jbang/.cache/");
    }

    private static Document parse(Path pom) throws Exception {
        return DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(pom.toFile());
    }

    private static Element dependency(Document pom, String groupId, String artifactId) {
        var dependencies = pom.getElementsByTagName("dependency");
        for (int i = 0; i < dependencies.getLength(); i++) {
            Element dependency = (Element) dependencies.item(i);
            if (groupId.equals(text(dependency, "groupId")) && artifactId.equals(text(dependency, "artifactId"))) {
                return dependency;
            }
        }
        throw new AssertionError("no dependency " + groupId + ":" + artifactId);
    }

    /** The text of the direct child element {@code name}, or null. */
    private static String text(Element parent, String name) {
        for (Node child = parent.getFirstChild(); child != null; child = child.getNextSibling()) {
            if (child instanceof Element element && element.getTagName().equals(name)) {
                return element.getTextContent().trim();
            }
        }
        return null;
    }

    private static String property(Document pom, String name) {
        var properties = pom.getElementsByTagName("properties");
        assertThat(properties.getLength()).as("a <properties> section").isPositive();
        String value = text((Element) properties.item(0), name);
        assertThat(value).as("property %s", name).isNotNull();
        return value;
    }

    /** Resolves a value that is a single ${property} of the same pom. */
    private static String resolve(Document pom, String value) {
        if (value != null && value.startsWith("${") && value.endsWith("}")) {
            return property(pom, value.substring(2, value.length() - 1));
        }
        return value;
    }
}
