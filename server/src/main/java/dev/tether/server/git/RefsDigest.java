package dev.tether.server.git;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import org.eclipse.jgit.lib.Constants;
import org.eclipse.jgit.lib.Ref;
import org.eclipse.jgit.lib.Repository;

/** A digest of every branch and tag of a mirror, name and object: two mirrors with equal digests hold the same refs. */
final class RefsDigest {
  private RefsDigest() {}

  static String of(Repository repo) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("this Java has no SHA-256", e);
    }
    List<Ref> refs = new ArrayList<>(repo.getRefDatabase().getRefsByPrefix(Constants.R_REFS));
    refs.sort(Comparator.comparing(Ref::getName));
    for (Ref ref : refs) {
      if (ref.getObjectId() != null) {
        digest.update((ref.getName() + " " + ref.getObjectId().name() + "\n").getBytes(StandardCharsets.UTF_8));
      }
    }
    return HexFormat.of().formatHex(digest.digest(), 0, 16);
  }
}
