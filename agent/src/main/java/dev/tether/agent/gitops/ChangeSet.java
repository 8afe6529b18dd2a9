package dev.tether.agent.gitops;

import java.util.List;
import java.util.stream.Collectors;

/**
 * What one sync did, per object (Flux's ssa change set): what an apply run returns, what the server
 * is told, and what prints one line per object.
 */
public record ChangeSet(List<ObjectResult> entries) {
  public static final ChangeSet EMPTY = new ChangeSet(List.of());

  public ChangeSet {
    entries = List.copyOf(entries);
  }

  public long count(Action action) {
    return entries.stream().filter(e -> e.action() == action).count();
  }

  /** Created or configured. */
  public long applied() {
    return entries.stream().filter(e -> e.action().applied()).count();
  }

  public long failures() {
    return count(Action.FAILED);
  }

  /** "3 created, 1 configured, 12 unchanged, 1 pruned, 0 failed" */
  public String summary() {
    return count(Action.CREATED) + " created, " + count(Action.CONFIGURED) + " configured, " + count(Action.UNCHANGED) + " unchanged, "
        + count(Action.PRUNED) + " pruned, " + failures() + " failed";
  }

  /** One line per object, in the order the sync reached them. */
  @Override
  public String toString() {
    return entries.stream().map(ObjectResult::toString).collect(Collectors.joining("\n"));
  }
}
