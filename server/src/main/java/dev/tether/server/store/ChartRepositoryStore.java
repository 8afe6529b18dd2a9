package dev.tether.server.store;

import java.util.List;
import java.util.Optional;

/** Credentials for chart repositories, sealed at rest like projects' Git credentials. */
public interface ChartRepositoryStore {
  /** Adds the repository, or replaces its credentials (a rotated password). */
  void put(ChartRepository repository);

  Optional<ChartRepository> find(String url);

  List<ChartRepository> list();

  /** @return whether there was one */
  boolean remove(String url);
}
