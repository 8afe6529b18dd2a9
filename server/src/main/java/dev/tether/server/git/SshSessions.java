package dev.tether.server.git;

import dev.tether.server.secrets.PrivateFiles;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.eclipse.jgit.transport.sshd.JGitKeyCache;
import org.eclipse.jgit.transport.sshd.SshdSessionFactory;
import org.eclipse.jgit.transport.sshd.SshdSessionFactoryBuilder;

/**
 * SSH for projects that use a key: each project gets its own key and known_hosts files (0600,
 * under the mirrors' folder) and strict host key checking, so an unknown or changed host key fails
 * the fetch instead of being trusted.
 */
final class SshSessions {
  private final Path root;
  private final Map<String, SshdSessionFactory> factories = new ConcurrentHashMap<>();

  SshSessions(Path root) {
    this.root = root;
  }

  SshdSessionFactory forProject(String projectId, GitCredentials.SshKey key) {
    return factories.computeIfAbsent(projectId + "\0" + key.privateKey().hashCode() + "\0" + key.knownHosts().hashCode(),
        k -> build(projectId, key));
  }

  private SshdSessionFactory build(String projectId, GitCredentials.SshKey key) {
    Path dir = root.resolve(projectId.replace('/', '~'));
    try {
      Files.createDirectories(dir);
      PrivateFiles.overwrite(dir.resolve("id_key"), key.privateKey().endsWith("\n") ? key.privateKey() : key.privateKey() + "\n");
      PrivateFiles.overwrite(dir.resolve("known_hosts"), key.knownHosts());
      PrivateFiles.overwrite(dir.resolve("config"), "Host *\n  StrictHostKeyChecking yes\n  BatchMode yes\n");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write SSH files for project '" + projectId + "' in " + dir, e);
    }
    File home = dir.toFile();
    return new SshdSessionFactoryBuilder()
        .setHomeDirectory(home)
        .setSshDirectory(home)
        .setConfigFile(f -> dir.resolve("config").toFile())
        .setDefaultIdentities(f -> List.of(dir.resolve("id_key")))
        .setDefaultKnownHostsFiles(f -> List.of(dir.resolve("known_hosts")))
        .setPreferredAuthentications("publickey")
        .build(new JGitKeyCache());
  }
}
