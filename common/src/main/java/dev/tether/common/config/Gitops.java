package dev.tether.common.config;

import java.util.List;

/** {@code gitops:} the manifest projects the agent keeps applied. */
public record Gitops(List<ManifestProject> manifestProjects) {}
