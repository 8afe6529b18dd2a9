package dev.tether.server.store;

import java.util.List;
import java.util.Optional;

public interface ProjectStore {
  /** @throws AlreadyExistsException if a project with this id exists */
  void add(Project project);

  Optional<Project> find(String id);

  List<Project> list();

  void recordFetch(ProjectFetch fetch);

  Optional<ProjectFetch> lastFetch(String projectId);
}
