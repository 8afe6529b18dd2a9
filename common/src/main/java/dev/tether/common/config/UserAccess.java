package dev.tether.common.config;

import java.util.List;

/** {@code user_access:} which people (members of these projects or groups) may use the agent's cluster. */
public record UserAccess(AccessAs accessAs, List<String> projects, List<String> groups) {}
