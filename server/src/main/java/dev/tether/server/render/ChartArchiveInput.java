package dev.tether.server.render;

/**
 * A chart archive a Helm render unpacks into its folder: its bytes were fetched and checked at
 * plan time (a chart or dependency from a repository) or are a project file (a packaged subchart).
 *
 * @param into where it is unpacked, relative to the render folder: {@code project/CHART/charts/NAME} or {@code repository/NAME}
 * @param what the archive as messages name it
 * @param bytes the archive, or null when {@code entry} is a project file to read
 * @param entry the project file holding the archive, or null
 */
public record ChartArchiveInput(String into, String what, byte[] bytes, ProjectTree.Entry entry) {}
