package dev.tether.common.yaml;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.snakeyaml.engine.v2.nodes.Node;

/** Tags outside the core schema are refused wherever they stand, with their place; core tags are read as before. */
class SafeYamlTagsTest {
  private static final YamlLimits LIMITS = new YamlLimits(1 << 20, 64, 50, 100_000);

  private static List<Node> read(String yaml) throws YamlProblem {
    return SafeYaml.readAll(yaml.getBytes(StandardCharsets.UTF_8), LIMITS);
  }

  static Stream<Arguments> refused() {
    return Stream.of(
        // yaml, line, column, what the message names
        Arguments.of("a:\n  b: !foo\n    c: 1\n", 2, 6, "the tag !foo is not allowed"),
        Arguments.of("items: !!java.util.ArrayList\n  - 1\n", 1, 8, "the tag !!java.util.ArrayList is not allowed"),
        Arguments.of("a: [1, !foo {b: 2}]\n", 1, 8, "the tag !foo is not allowed"),
        Arguments.of("{a: !<tag:example.com,2000:x> [1]}\n", 1, 5, "the tag tag:example.com,2000:x is not allowed"),
        Arguments.of("%TAG !e! tag:example.com,2000:\n---\na: !e!x 1\n", 3, 4, "the tag tag:example.com,2000:x is not allowed"),
        Arguments.of("%TAG !! tag:example.com,2000:\n---\na: !!str x\n", 3, 4, "the tag tag:example.com,2000:str is not allowed"),
        Arguments.of("--- !foo\na: 1\n", 1, 5, "the tag !foo is not allowed"),
        Arguments.of("a: !!binary aGVsbG8=\n", 1, 4, "the tag !!binary is not allowed"),
        Arguments.of("a: !!timestamp 2001-12-14\n", 1, 4, "the tag !!timestamp is not allowed"),
        Arguments.of("{!foo k: v}\n", 1, 2, "the tag !foo is not allowed"),
        Arguments.of("? !foo k\n: v\n", 1, 3, "the tag !foo is not allowed"),
        Arguments.of("a:\n  b:\n    - c: {d: [x, !!set {y}]}\n", 3, 18, "the tag !!set is not allowed"),
        Arguments.of("a: &shared !foo {b: 1}\nc: *shared\n", 1, 4, "the tag !foo is not allowed"),
        Arguments.of("a: !!str {b: 1}\n", 1, 4, "the tag !!str does not fit a mapping"),
        Arguments.of("a: !!map [1]\n", 1, 4, "the tag !!map does not fit a list"),
        Arguments.of("a: !!seq x\n", 1, 4, "the tag !!seq does not fit a single value"),
        Arguments.of("--- !!null\nkind: Secret\n", 1, 5, "the tag !!null does not fit a mapping"),
        Arguments.of("a: !!bool yes\n", 1, 4, "'yes' is not a !!bool value; write true or false"),
        Arguments.of("a: !!int twelve\n", 1, 4, "'twelve' is not a !!int value"),
        Arguments.of("a: !!null x\n", 1, 4, "'x' is not a !!null value"));
  }

  @ParameterizedTest
  @MethodSource
  void refused(String yaml, int line, int column, String message) {
    assertThatThrownBy(() -> read(yaml))
        .isInstanceOfSatisfying(YamlProblem.class, problem -> {
          assertThat(problem.getMessage()).contains(message);
          assertThat(List.of(problem.line(), problem.column())).as(problem.getMessage()).containsExactly(line, column);
        });
  }

  @Test
  void aRefusedTagSaysWhichTagsMayBeUsed() {
    assertThatThrownBy(() -> read("a: !secret x\n"))
        .hasMessage("the tag !secret is not allowed: only the YAML core tags !!map, !!seq, !!str, !!int, !!float, !!bool and "
            + "!!null may be used; remove the tag");
  }

  @Test
  void coreTagsOnTheNodesTheyFitAreRead() throws Exception {
    Node root = read("""
        a: !!map
          b: !!seq [!!str 1, !!int "2", !!float 3, !!float 4.5, !!bool true, !!null null, !!null ""]
        c: ! 7
        d: !<tag:yaml.org,2002:str> quoted
        e: !!map {f: !!seq [x]}
        """).get(0);

    assertThat(YamlValues.toValue(root)).isEqualTo(Map.of(
        "a", Map.of("b", java.util.Arrays.asList("1", 2L, 3.0, 4.5, true, null, null)),
        "c", "7",
        "d", "quoted",
        "e", Map.of("f", List.of("x"))));
  }

  @Test
  void untaggedYamlIsUnchanged() throws Exception {
    assertThat(YamlValues.toValue(read("a: [1, 1.5, true, null, x, '2']\n").get(0)))
        .isEqualTo(Map.of("a", java.util.Arrays.asList(1L, 1.5, true, null, "x", "2")));
  }
}
