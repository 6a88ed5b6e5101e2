package dev.memorymodule.workers;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where a worker reads its configuration: the project's file, and the one MM_CONFIG names on top of it. */
class WorkerMainTest {

    @TempDir
    Path dir;

    @Test
    void withoutMmConfigTheProjectFileIsRead() {
        assertThat(WorkerMain.configLocations(null)).isEqualTo("file:application.properties");
        assertThat(WorkerMain.configLocations(" ")).isEqualTo("file:application.properties");
    }

    @Test
    void aPartialMmConfigFileChangesOnlyItsOwnKeys() throws Exception {
        Path partial = dir.resolve("zone-b.properties");
        Files.writeString(partial, "mm.http.port = 19879\nmm.worker.id = zone-b-1\n");

        try (CamelContext camel = new DefaultCamelContext()) {
            camel.getPropertiesComponent().setLocation(WorkerMain.configLocations(partial.toString()));
            camel.start();
            assertThat(camel.resolvePropertyPlaceholders("{{mm.http.port}}")).isEqualTo("19879");
            assertThat(camel.resolvePropertyPlaceholders("{{mm.worker.id}}")).isEqualTo("zone-b-1");
            // what the partial file leaves out still comes from the project's file: the routes among them
            assertThat(camel.resolvePropertyPlaceholders("{{camel.main.routes-include-pattern}}"))
                    .contains("routes/");
        }
    }

    @Test
    void anMmConfigThatIsNoFileStopsTheStart() {
        assertThatThrownBy(() -> WorkerMain.configLocations(dir.resolve("missing.properties").toString()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MM_CONFIG")
                .hasMessageContaining("missing.properties");
    }
}
