package dev.tether.agent.gitops;

import java.util.Locale;

/** Where a sync of one commit stands; sent in lowercase ("synced"), as the API and older servers know it. */
public enum Phase {
  SYNCING, SYNCED, FAILED;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }
}
