package dev.tether.agent.gitops;

import dev.tether.agent.gitops.ManifestParser.ManifestFile;
import java.util.List;

/** A complete set of manifests at a commit, as the server selected them; {@code digest} identifies the content. */
record ManifestSet(String commit, String digest, List<ManifestFile> files) {

  ManifestSet atCommit(String newCommit) {
    return new ManifestSet(newCommit, digest, files);
  }
}
