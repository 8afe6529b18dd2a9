package dev.tether.agent.gitops;

import java.util.Locale;

/** What a sync did with one object; printed and sent in lowercase ("created"), as kubectl and Flux print them. */
public enum Action {
  CREATED, CONFIGURED, UNCHANGED, PRUNED, FAILED, SKIPPED, DRIFTED;

  /** The lowercase name users, the API and older servers know. */
  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Whether the object was written: created or configured. */
  public boolean applied() {
    return this == CREATED || this == CONFIGURED;
  }
}
