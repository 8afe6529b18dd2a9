package dev.tether.bench;

import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The Helm chart the render benchmark syncs, written the same way every run: a project with
 * {@code chart/} (Chart.yaml, values.yaml, helpers in {@code _helpers.tpl} and one template per
 * component) and a values file {@code values/prod.yaml} over the chart's values, as real charts and
 * their users have them. Each template renders one component of {@code .Values.components}, its
 * kind by turn: Deployment, Service, ConfigMap, Secret, ServiceAccount with its Role, RoleBinding;
 * one more ranges over {@code .Values.extraConfigs} for a ConfigMap each. All objects are
 * namespaced and carry no namespace, so each engine puts them in the namespace it is given. The
 * Services are headless, so that round after round fits the test control plane's service range (a /24).
 */
final class GeneratedChart {
  static final String CHART = "chart";
  static final String VALUES_FILE = "values/prod.yaml";
  static final String RELEASE = "bench";
  private static final int EXTRA_CONFIGS = 20;
  private static final int KINDS = 6;

  private GeneratedChart() {}

  /** The project folder of a chart with {@code templates} component templates, written the first time it is asked for. */
  static Path folder(Path workDir, int templates) throws Exception {
    Path project = workDir.resolve("chart-" + templates);
    if (!Files.isDirectory(project)) {
      write(project, templates);
    }
    return project;
  }

  /** The objects the chart renders: one per component, a Role more per ServiceAccount, and the extra ConfigMaps. */
  static int objects(int templates) {
    int serviceAccounts = (templates + 1) / KINDS; // components 4, 10, 16, …
    return templates + serviceAccounts + EXTRA_CONFIGS;
  }

  private static void write(Path project, int templates) throws Exception {
    Path chart = project.resolve(CHART);
    Files.createDirectories(chart.resolve("templates"));
    Files.createDirectories(project.resolve("values"));
    Files.writeString(chart.resolve("Chart.yaml"), """
        apiVersion: v2
        name: bench
        description: The render benchmark's chart
        type: application
        version: 1.0.0
        appVersion: "1.0"
        """);
    Files.writeString(chart.resolve("templates/_helpers.tpl"), HELPERS);
    StringBuilder values = new StringBuilder("""
        image:
          repository: registry.example.com/web
          tag: "1.0"
        replicas: 1
        logLevel: info
        resources:
          requests: {cpu: 100m, memory: 64Mi}
        components:
        """);
    for (int i = 0; i < templates; i++) {
      values.append("  - name: part-").append(i).append("\n    port: ").append(8000 + i % 100)
          .append("\n    settings: {index: \"").append(i).append("\", color: blue, size: \"").append(i % 7).append("\"}\n");
      Files.writeString(chart.resolve(String.format("templates/component-%03d.yaml", i)), template(i));
    }
    values.append("extraConfigs:\n");
    for (int i = 0; i < EXTRA_CONFIGS; i++) {
      values.append("  extra-").append(i).append(": {owner: team-").append(i % 4).append(", tier: \"").append(i % 3).append("\"}\n");
    }
    Files.writeString(chart.resolve("values.yaml"), values.toString());
    Files.writeString(chart.resolve("templates/extra-configs.yaml"), """
        {{- range $name, $data := .Values.extraConfigs }}
        ---
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: {{ include "bench.fullname" (list $ $name) }}
          labels: {{- include "bench.labels" (list $ $name) | nindent 4 }}
        data:
          {{- range $key, $value := $data }}
          {{ $key }}: {{ $value | quote }}
          {{- end }}
        {{- end }}
        """);
    Files.writeString(project.resolve(VALUES_FILE), """
        image:
          tag: "2.0"
        replicas: 2
        logLevel: warn
        """);
    Files.writeString(project.resolve("NOTES.md"), "The render benchmark's chart project.\n");
  }

  /** Component {@code i}'s template: the kind by turn, read from values through the helpers. */
  private static String template(int i) {
    String head = "{{- $c := index .Values.components " + i + " }}\n"
        + "{{- $ctx := list $ $c.name }}\n";
    return head + switch (i % KINDS) {
      case 0 -> """
          apiVersion: apps/v1
          kind: Deployment
          metadata:
            name: {{ include "bench.fullname" $ctx }}
            labels: {{- include "bench.labels" $ctx | nindent 4 }}
          spec:
            replicas: {{ .Values.replicas }}
            selector:
              matchLabels: {{- include "bench.selectorLabels" $ctx | nindent 6 }}
            template:
              metadata:
                labels: {{- include "bench.selectorLabels" $ctx | nindent 8 }}
              spec:
                serviceAccountName: default
                containers:
                  - name: {{ $c.name }}
                    image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
                    ports: [{containerPort: {{ $c.port }}}]
                    env:
                      - {name: LOG_LEVEL, value: {{ .Values.logLevel | quote }}}
                      {{- range $key, $value := $c.settings }}
                      - {name: {{ upper $key }}, value: {{ $value | quote }}}
                      {{- end }}
                    resources: {{- toYaml .Values.resources | nindent 12 }}
          """;
      case 1 -> """
          apiVersion: v1
          kind: Service
          metadata:
            name: {{ include "bench.fullname" $ctx }}
            labels: {{- include "bench.labels" $ctx | nindent 4 }}
          spec:
            clusterIP: None
            selector: {{- include "bench.selectorLabels" $ctx | nindent 4 }}
            ports:
              - {name: http, port: 80, targetPort: {{ $c.port }}}
          """;
      case 2 -> """
          apiVersion: v1
          kind: ConfigMap
          metadata:
            name: {{ include "bench.fullname" $ctx }}
            labels: {{- include "bench.labels" $ctx | nindent 4 }}
          data:
            logLevel: {{ .Values.logLevel | quote }}
            {{- range $key, $value := $c.settings }}
            {{ $key }}: {{ $value | quote }}
            {{- end }}
          """;
      case 3 -> """
          apiVersion: v1
          kind: Secret
          metadata:
            name: {{ include "bench.fullname" $ctx }}
            labels: {{- include "bench.labels" $ctx | nindent 4 }}
          type: Opaque
          data:
            token: {{ printf "%s-%s" .Release.Name $c.name | sha256sum | b64enc | quote }}
          """;
      case 4 -> """
          apiVersion: v1
          kind: ServiceAccount
          metadata:
            name: {{ include "bench.fullname" $ctx }}
            labels: {{- include "bench.labels" $ctx | nindent 4 }}
          ---
          apiVersion: rbac.authorization.k8s.io/v1
          kind: Role
          metadata:
            name: {{ include "bench.fullname" $ctx }}
            labels: {{- include "bench.labels" $ctx | nindent 4 }}
          rules:
            - apiGroups: [""]
              resources: [configmaps]
              resourceNames: [{{ include "bench.fullname" $ctx }}]
              verbs: [get, watch]
          """;
      default -> """
          apiVersion: rbac.authorization.k8s.io/v1
          kind: RoleBinding
          metadata:
            name: {{ include "bench.fullname" $ctx }}
            labels: {{- include "bench.labels" $ctx | nindent 4 }}
          roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: {{ include "bench.fullname" $previous }}}
          subjects:
            - {kind: ServiceAccount, name: {{ include "bench.fullname" $previous }}}
          """.replace("$previous", "(list $ \"part-" + (i - 1) + "\")"); // the ServiceAccount and Role just before
    };
  }

  private static final String HELPERS = """
      {{/* The name of a component's objects: release and component, cut to Kubernetes' 63 characters. */}}
      {{- define "bench.fullname" -}}
      {{- $root := index . 0 -}}
      {{- printf "%s-%s" $root.Release.Name (index . 1) | trunc 63 | trimSuffix "-" -}}
      {{- end -}}

      {{- define "bench.selectorLabels" -}}
      {{- $root := index . 0 -}}
      app.kubernetes.io/name: {{ index . 1 }}
      app.kubernetes.io/instance: {{ $root.Release.Name }}
      {{- end -}}

      {{- define "bench.labels" -}}
      {{- $root := index . 0 -}}
      helm.sh/chart: {{ printf "%s-%s" $root.Chart.Name $root.Chart.Version }}
      {{ include "bench.selectorLabels" . }}
      app.kubernetes.io/managed-by: {{ $root.Release.Service }}
      {{- end -}}
      """;
}
