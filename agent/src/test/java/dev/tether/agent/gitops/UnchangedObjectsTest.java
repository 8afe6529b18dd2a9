package dev.tether.agent.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The skip decision of a no-op resync: only the same content at the same resourceVersion is not read again. */
class UnchangedObjectsTest {
  private static final ObjectKey KEY = new ObjectKey("", "ConfigMap", "apps", "settings");
  private static final byte[] BLUE = "{\"data\":{\"value\":\"blue\"}}".getBytes(StandardCharsets.UTF_8);
  private static final Health CURRENT = new Health(Health.Status.CURRENT, "");

  @Test
  void sameContentAtTheSameVersionIsSkipped() {
    UnchangedObjects objects = new UnchangedObjects();
    objects.equal(KEY, "41", BLUE, CURRENT);
    // Another array with the same bytes: Git's content is compared, not the instance.
    assertThat(objects.unchanged(KEY, BLUE.clone(), "41")).contains(CURRENT);
  }

  @Test
  void aNewerResourceVersionIsReadAgain() {
    UnchangedObjects objects = new UnchangedObjects();
    objects.equal(KEY, "41", BLUE, CURRENT);
    assertThat(objects.unchanged(KEY, BLUE, "42")).isEmpty();
  }

  @Test
  void changedGitContentIsReadAgain() {
    UnchangedObjects objects = new UnchangedObjects();
    objects.equal(KEY, "41", BLUE, CURRENT);
    assertThat(objects.unchanged(KEY, "{\"data\":{\"value\":\"red\"}}".getBytes(StandardCharsets.UTF_8), "41")).isEmpty();
  }

  @Test
  void anObjectTheWatchDoesNotHoldIsReadAgain() {
    UnchangedObjects objects = new UnchangedObjects();
    objects.equal(KEY, "41", BLUE, CURRENT);
    assertThat(objects.unchanged(KEY, BLUE, null)).isEmpty();
  }

  @Test
  void aDifferenceOrDeletionForgetsIt() {
    UnchangedObjects objects = new UnchangedObjects();
    objects.equal(KEY, "41", BLUE, CURRENT);
    objects.forget(KEY);
    assertThat(objects.unchanged(KEY, BLUE, "41")).isEmpty();
    objects.equal(KEY, "43", BLUE, CURRENT);
    objects.clear();
    assertThat(objects.unchanged(KEY, BLUE, "43")).isEmpty();
  }

  @Test
  void neverComparedIsRead() {
    assertThat(new UnchangedObjects().unchanged(KEY, BLUE, "41")).isEmpty();
  }
}
