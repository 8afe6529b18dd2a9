package dev.tether.demo;

import dev.tether.testkit.git.GitRepository;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The demo's two Git repositories, made with the real git CLI: the config project with the agent's
 * config.yaml, and the manifest project with the example application.
 */
final class DemoRepositories {
  static final String AGENT = "demo";
  static final String CONFIG_PROJECT = "platform/config";
  static final String APP_PROJECT = "examples/app";
  private static final String EXAMPLE = "/dev/tether/demo/example/";
  private static final List<String> MANIFESTS = List.of("namespace.yaml", "settings.yaml", "service.yaml", "access.yaml");

  final GitRepository config;
  final GitRepository app;

  private DemoRepositories(GitRepository config, GitRepository app) {
    this.config = config;
    this.app = app;
  }

  static DemoRepositories create(Path root) {
    GitRepository config = GitRepository.create(root, "platform-config");
    config.write(".gitlab/agents/" + AGENT + "/config.yaml", example("config.yaml")).commitAndPush("Configure the demo agent");
    GitRepository app = GitRepository.create(root, "examples-app");
    for (String manifest : MANIFESTS) {
      app.write("manifests/" + manifest, example("manifests/" + manifest));
    }
    app.commitAndPush("The example application");
    return new DemoRepositories(config, app);
  }

  /** The change the demo shows being synced: the application's color, blue to green. */
  String paintItGreen() {
    String settings = example("manifests/settings.yaml");
    if (!settings.contains("color: blue")) {
      throw new IllegalStateException("the example settings.yaml no longer says 'color: blue'");
    }
    app.write("manifests/settings.yaml", settings.replace("color: blue", "color: green"));
    return app.commitAndPush("Paint it green");
  }

  private static String example(String name) {
    try (InputStream in = DemoRepositories.class.getResourceAsStream(EXAMPLE + name)) {
      if (in == null) {
        throw new IllegalStateException("the demo's example file " + name + " is missing from its jar");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
