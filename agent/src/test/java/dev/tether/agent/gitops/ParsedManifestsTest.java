package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import dev.tether.agent.gitops.ManifestParser.ManifestFile;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ParsedManifestsTest {
  private static final String DEPLOYMENT = """
      apiVersion: apps/v1
      kind: Deployment
      metadata: {name: web, namespace: shop}
      spec:
        replicas: 2
        template:
          spec:
            containers: [{name: app, image: "nginx:1.27", resources: {limits: {cpu: 0.5, memory: 64Mi}}}]
      ---
      apiVersion: v1
      kind: ConfigMap
      metadata: {name: settings}
      data: {enabled: "true", ratio: "1.5"}
      """;

  private static List<ManifestFile> files(String content) {
    return List.of(new ManifestFile("app.yaml", content.getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void theSameFilesAgainGiveTheSameObjectsAsAFreshParse() {
    ParsedManifests parsed = new ParsedManifests();
    ManifestParser.Parsed first = parsed.of("digest-1", files(DEPLOYMENT));
    ManifestParser.Parsed again = parsed.of("digest-1", files(DEPLOYMENT));

    ManifestParser.Parsed fresh = ManifestParser.parse(files(DEPLOYMENT));
    assertThat(again.objects()).hasSize(2);
    for (int i = 0; i < 2; i++) {
      DesiredObject want = fresh.objects().get(i);
      DesiredObject got = again.objects().get(i);
      assertThat(got.key()).isEqualTo(want.key());
      assertThat(got.source()).isEqualTo(want.source());
      assertThat(FieldComparison.firstDifference(want.content(), got.content())).isEmpty();
      assertThat(FieldComparison.firstDifference(got.content(), want.content())).isEmpty();
      assertThat(KubeApi.toJson(got.content())).isEqualTo(KubeApi.toJson(first.objects().get(i).content()));
    }
  }

  @Test
  @SuppressWarnings("unchecked")
  void eachCallGivesTreesOfItsOwn() {
    ParsedManifests parsed = new ParsedManifests();
    parsed.of("digest-1", files(DEPLOYMENT));
    ManifestParser.Parsed changed = parsed.of("digest-1", files(DEPLOYMENT));
    ((Map<String, Object>) changed.objects().get(1).content().get("metadata")).put("namespace", "apps");

    assertThat(parsed.of("digest-1", files(DEPLOYMENT)).objects().get(1).namespace()).isEmpty();
  }

  @Test
  void otherFilesAreParsedAnew() {
    ParsedManifests parsed = new ParsedManifests();
    parsed.of("digest-1", files(DEPLOYMENT));
    ManifestParser.Parsed other = parsed.of("digest-2", files("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: other}\n"));
    assertThat(other.objects()).extracting(DesiredObject::name).containsExactly("other");

    // Without a digest (a server that sends none) only the same list counts as the same files.
    List<ManifestFile> third = files("apiVersion: v1\nkind: Secret\nmetadata: {name: third}\n");
    assertThat(parsed.of("", third).objects()).extracting(DesiredObject::name).containsExactly("third");
    assertThat(parsed.of("", files(DEPLOYMENT)).objects()).extracting(DesiredObject::name).containsExactly("web", "settings");
  }

  @Test
  void manifestsThatCannotBeReadStaySo() {
    ParsedManifests parsed = new ParsedManifests();
    List<ManifestFile> broken = files("apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n");
    assertThat(parsed.of("digest-1", broken).ok()).isFalse();
    assertThat(parsed.of("digest-1", broken).errors()).containsExactlyElementsOf(ManifestParser.parse(broken).errors());
  }
}
