package dev.tether.common.yaml;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class NestingBoundTest {
  private static int realDepth(String yaml) throws Exception {
    return depth(SafeYaml.readAll(yaml.getBytes(StandardCharsets.UTF_8), new YamlLimits(1 << 20, 10_000, 100, 1_000_000)).get(0));
  }

  private static int depth(org.snakeyaml.engine.v2.nodes.Node node) {
    if (node instanceof org.snakeyaml.engine.v2.nodes.MappingNode m) {
      return 1 + m.getValue().stream().mapToInt(t -> Math.max(depth(t.getKeyNode()), depth(t.getValueNode()))).max().orElse(0);
    }
    if (node instanceof org.snakeyaml.engine.v2.nodes.SequenceNode s) {
      return 1 + s.getValue().stream().mapToInt(NestingBoundTest::depth).max().orElse(0);
    }
    return 0;
  }

  @Test
  void boundIsNeverBelowTheRealDepth() throws Exception {
    String[] samples = {
        "a: 1",
        "a:\n  b:\n    c:\n      - d: [1, {e: [2]}]\n",
        "- - - - - x\n",
        "- a: b\n  c:\n  - - d\n",
        "spec:\n  template:\n    spec:\n      containers:\n        - name: web\n          ports: [{containerPort: 80}]\n",
        "a: '[[[['\nb: {c: {d: {e: 1}}}\n",
        "a: |\n  text [[[ {{{\n  more\n",
    };
    for (String yaml : samples) {
      assertThat(SafeYaml.nestingBound(yaml)).as(yaml).isGreaterThanOrEqualTo(realDepth(yaml));
    }
  }

  @Test
  void deepFilesStillGetThePreciseCheck() {
    assertThat(SafeYaml.nestingBound("a: " + "[".repeat(1000))).isGreaterThan(1000);
  }
}
