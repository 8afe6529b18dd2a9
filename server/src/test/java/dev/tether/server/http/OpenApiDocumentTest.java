package dev.tether.server.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tether.common.config.ConfigError;
import java.lang.reflect.RecordComponent;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The OpenAPI document says exactly what the server serves: the same routes, parameters and JSON shapes. */
class OpenApiDocumentTest {
  private static JsonNode doc;
  private static List<ApiRoutes.Route> routes;

  @BeforeAll
  static void load() throws Exception {
    doc = new ObjectMapper().readTree(OpenApiDocument.json());
    HttpApi api = new HttpApi(null, null, null, null, null, null, null, null);
    io.javalin.Javalin.create(api::register);
    routes = api.routes();
  }

  @Test
  void documentsEveryRouteAndNoOther() {
    Set<String> served = routes.stream().map(r -> r.method() + " " + r.openApiPath()).collect(Collectors.toCollection(TreeSet::new));
    Set<String> documented = new TreeSet<>();
    doc.get("paths").fields().forEachRemaining(path -> path.getValue().fieldNames()
        .forEachRemaining(method -> documented.add(method + " " + path.getKey())));
    assertThat(served).hasSizeGreaterThan(15);
    assertThat(documented).isEqualTo(served);
  }

  @Test
  void declaresEachPathParameter() {
    Pattern parameter = Pattern.compile("\\{([a-z_]+)}");
    doc.get("paths").fields().forEachRemaining(path -> path.getValue().fields().forEachRemaining(operation -> {
      Set<String> inPath = new HashSet<>();
      Matcher m = parameter.matcher(path.getKey());
      while (m.find()) {
        inPath.add(m.group(1));
      }
      Set<String> declared = new HashSet<>();
      JsonNode params = operation.getValue().path("parameters");
      params.forEach(p -> {
        if (p.get("in").asText().equals("path")) {
          declared.add(p.get("name").asText());
        }
      });
      assertThat(declared).as(operation.getKey() + " " + path.getKey()).isEqualTo(inPath);
    }));
  }

  @Test
  void everyReferenceResolves() {
    List<String> refs = new ArrayList<>();
    collectRefs(doc, refs);
    assertThat(refs).isNotEmpty();
    for (String ref : refs) {
      assertThat(ref).startsWith("#/");
      assertThat(doc.at(ref.substring(1)).isMissingNode()).as(ref).isFalse();
    }
  }

  @Test
  void schemasHaveTheFieldsOfTheRecordsTheServerWrites() {
    Map<String, Class<?>> records = new java.util.HashMap<>();
    for (Class<?> c : ApiModels.class.getDeclaredClasses()) {
      if (c.isRecord()) {
        records.put(c.getSimpleName(), c);
      }
    }
    for (Class<?> c : ApplicationModels.class.getDeclaredClasses()) {
      if (c.isRecord()) {
        records.put(c.getSimpleName(), c);
      }
    }
    records.put("Child", LiveTree.Child.class);
    records.put("Change", ObjectDiff.Change.class);
    records.put("ConfigError", ConfigError.class);
    Iterator<Map.Entry<String, JsonNode>> schemas = doc.at("/components/schemas").fields();
    Set<String> described = new HashSet<>();
    while (schemas.hasNext()) {
      Map.Entry<String, JsonNode> schema = schemas.next();
      Class<?> record = records.get(schema.getKey());
      assertThat(record).as("a record for schema " + schema.getKey()).isNotNull();
      Set<String> fields = new TreeSet<>();
      for (RecordComponent component : record.getRecordComponents()) {
        fields.add(snakeCase(component.getName()));
      }
      Set<String> properties = new TreeSet<>();
      schema.getValue().get("properties").fieldNames().forEachRemaining(properties::add);
      assertThat(properties).as("properties of " + schema.getKey()).isEqualTo(fields);
      described.add(schema.getKey());
    }
    assertThat(described).as("every JSON shape of the API is described").containsAll(records.keySet());
  }

  private static void collectRefs(JsonNode node, List<String> refs) {
    if (node.isObject()) {
      node.fields().forEachRemaining(f -> {
        if (f.getKey().equals("$ref")) {
          refs.add(f.getValue().asText());
        } else {
          collectRefs(f.getValue(), refs);
        }
      });
    } else if (node.isArray()) {
      StreamSupport.stream(node.spliterator(), false).forEach(n -> collectRefs(n, refs));
    }
  }

  private static String snakeCase(String camel) {
    return camel.replaceAll("([A-Z])", "_$1").toLowerCase(java.util.Locale.ROOT);
  }
}
