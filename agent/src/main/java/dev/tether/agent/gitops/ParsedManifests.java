package dev.tether.agent.gitops;

import dev.tether.agent.gitops.ManifestParser.ManifestFile;
import dev.tether.agent.gitops.ManifestParser.Parsed;
import java.util.ArrayList;
import java.util.List;

/**
 * One manifest project's files, parsed. The same files again (a resync, a retry, a moved commit with
 * the same content) are read back from the compact JSON kept after the first parse instead of being
 * parsed as YAML again: on a no-op resync of thousands of objects the YAML parse was the largest part
 * of the agent's own time, and JSON reads several times faster. Only the JSON is kept between syncs,
 * not the parsed trees, which take several times its bytes. Used from one worker's thread.
 */
final class ParsedManifests {
  private record Compact(String apiVersion, String kind, byte[] json, String file, int document, int line) {}

  private String digest;
  private List<ManifestFile> files;
  private List<Compact> objects = List.of();
  private List<String> errors = List.of();

  /**
   * The objects of {@code files}, whose content digest is {@code digest} (the server's; empty from a
   * server that sends none, and then only the same list counts as the same files). Each call returns
   * trees of its own, free to change.
   */
  Parsed of(String digest, List<ManifestFile> files) {
    if (files == this.files || (digest != null && !digest.isEmpty() && digest.equals(this.digest))) {
      List<DesiredObject> read = new ArrayList<>(objects.size());
      for (Compact c : objects) {
        read.add(new DesiredObject(c.apiVersion(), c.kind(), KubeApi.parse(c.json()), c.file(), c.document(), c.line()));
      }
      return new Parsed(read, errors);
    }
    Parsed parsed = ManifestParser.parse(files);
    List<Compact> compact = new ArrayList<>(parsed.objects().size());
    for (DesiredObject o : parsed.objects()) {
      compact.add(new Compact(o.apiVersion(), o.kind(), KubeApi.toJson(o.content()), o.file(), o.document(), o.line()));
    }
    this.digest = digest;
    this.files = files;
    this.objects = compact;
    this.errors = List.copyOf(parsed.errors());
    return parsed;
  }
}
