package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** kstatus rules on recorded objects: each file is named {@code <case>.<expected status>.json}. */
class HealthTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  static Stream<String> recorded() throws IOException, URISyntaxException {
    Path dir = Path.of(HealthTest.class.getResource("/health").toURI());
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(p -> p.getFileName().toString()).sorted().toList().stream();
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("recorded")
  void recordedObjectsHaveTheirExpectedHealth(String file) throws IOException {
    String expected = file.split("\\.")[1];
    Map<String, Object> object;
    try (InputStream in = HealthTest.class.getResourceAsStream("/health/" + file)) {
      object = JSON.readValue(in, new TypeReference<>() {});
    }

    Health health = Health.of(object);

    assertThat(health.statusName()).as(file + ": " + health.message()).isEqualTo(expected);
    assertThat(health.message()).isNotBlank();
  }

  @Test
  void messagesSayWhatIsMissing() {
    Map<String, Object> rolling = Map.of("apiVersion", "apps/v1", "kind", "Deployment",
        "metadata", Map.of("name", "web", "generation", 2),
        "spec", Map.of("replicas", 3),
        "status", Map.of("observedGeneration", 2, "replicas", 3, "updatedReplicas", 1));

    assertThat(Health.of(rolling).message()).isEqualTo("updated replicas: 1/3");
  }
}
