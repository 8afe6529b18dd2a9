package dev.tether.cli.install;

import dev.tether.common.TetherVersion;
import dev.tether.common.token.MalformedTokenException;
import dev.tether.common.token.SecretToken;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.EnvVarBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.api.model.PodSpecBuilder;
import io.fabric8.kubernetes.api.model.Quantity;
import io.fabric8.kubernetes.api.model.SecretBuilder;
import io.fabric8.kubernetes.api.model.ServiceAccountBuilder;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeBuilder;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.api.model.VolumeMountBuilder;
import io.fabric8.kubernetes.api.model.apps.DeploymentBuilder;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * The Kubernetes objects that run one Tether agent in a cluster: its namespace, service account, token
 * Secret, CA ConfigMap, RBAC and Deployment, in the order {@code kubectl apply -f -} needs them. Options
 * are set fluently and checked by {@link #objects()}, which names the option that is wrong.
 *
 * <p>The Helm chart {@code deploy/helm/tether-agent} renders the same objects for the same inputs; the
 * integration tests compare the two.
 */
public final class AgentInstallManifests {
  public static final String DEFAULT_NAMESPACE = "tether-agent";
  public static final String IMAGE_REPOSITORY = "ghcr.io/tether-dev/tether";
  static final String TOKEN_DIR = "/etc/tether/token";
  /** /metrics, /healthz and /readyz: the agent's only listener. */
  static final int METRICS_PORT = 8080;
  static final String CA_DIR = "/etc/tether/ca";
  /** The image's non-root user (deploy/docker/Dockerfile). */
  static final long USER_ID = 10001;

  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");
  private static final Pattern IMAGE = Pattern.compile("[^\\s]+");

  private String name;
  private InetSocketAddress server;
  private Path tokenFile;
  private Path caFile;
  private String namespace = DEFAULT_NAMESPACE;
  private List<String> namespaced = List.of();
  private boolean allowImpersonation;
  private String image = defaultImage();
  private int replicas = 1;

  /** The image of this build: {@value #IMAGE_REPOSITORY} tagged with Tether's version. */
  public static String defaultImage() {
    return IMAGE_REPOSITORY + ":" + TetherVersion.get();
  }

  /** The agent's name, as created with {@code tether admin agent create}; names every object. */
  public AgentInstallManifests name(String name) {
    this.name = name;
    return this;
  }

  /** The server's agent listener, as the agent's own {@code --server} takes it. */
  public AgentInstallManifests server(InetSocketAddress server) {
    this.server = server;
    return this;
  }

  public AgentInstallManifests tokenFile(Path tokenFile) {
    this.tokenFile = tokenFile;
    return this;
  }

  /** PEM CA certificate(s) the agent trusts for the server; none means the JVM's default CAs. */
  public AgentInstallManifests caFile(Path caFile) {
    this.caFile = caFile;
    return this;
  }

  /** Where the agent itself runs. */
  public AgentInstallManifests namespace(String namespace) {
    this.namespace = namespace;
    return this;
  }

  /** The only namespaces the agent may act in; empty for cluster-wide rights. */
  public AgentInstallManifests namespaced(List<String> namespaces) {
    this.namespaced = namespaces == null ? List.of() : List.copyOf(namespaces);
    return this;
  }

  /** With {@link #namespaced}: let the agent impersonate any user, group, service account, uid or extra. */
  public AgentInstallManifests allowImpersonation(boolean allow) {
    this.allowImpersonation = allow;
    return this;
  }

  /**
   * How many replicas run: a Lease elects the one that runs GitOps, and every one serves proxied requests, so
   * a second replica keeps kubectl working while one restarts and takes GitOps over within 15 s.
   */
  public AgentInstallManifests replicas(int replicas) {
    this.replicas = replicas;
    return this;
  }

  public AgentInstallManifests image(String image) {
    this.image = image;
    return this;
  }

  /** The objects, in the order they can be applied. Reads the token and CA files. */
  public List<HasMetadata> objects() throws InstallOptionException {
    checkLabel("--name", name, "the agent's name, as in `tether admin agent create NAME`");
    checkLabel("--namespace", namespace, "the namespace the agent runs in");
    checkNamespaced();
    String serverAddress = serverAddress();
    if (image == null || !IMAGE.matcher(image).matches()) {
      throw new InstallOptionException("--image must be an image reference without spaces, for example " + defaultImage());
    }
    if (replicas < 1) {
      throw new InstallOptionException("--replicas must be 1 or more, got " + replicas);
    }
    String token = readToken();
    String caCertificate = caFile == null ? null : readCaCertificate();

    String fullName = "tether-agent-" + name;
    List<HasMetadata> objects = new ArrayList<>();
    objects.add(new NamespaceBuilder().withMetadata(meta(namespace, null))
        .build());
    objects.add(new ServiceAccountBuilder().withMetadata(meta(fullName, namespace)).build());
    objects.add(new SecretBuilder().withMetadata(meta(fullName + "-token", namespace)).withType("Opaque")
        .addToData("token", Base64.getEncoder().encodeToString(token.getBytes(StandardCharsets.UTF_8))).build());
    if (caCertificate != null) {
      objects.add(new ConfigMapBuilder().withMetadata(meta(fullName + "-ca", namespace)).addToData("ca.crt", caCertificate)
          .build());
    }
    var agent = AgentRbac.serviceAccount(fullName, namespace);
    objects.addAll(namespaced.isEmpty()
        ? AgentRbac.clusterWide(fullName, agent, n -> meta(n, null))
        : AgentRbac.namespaced(fullName, namespaced, allowImpersonation, agent, n -> meta(n, null)));
    objects.addAll(AgentRbac.lease(fullName, namespace, agent, n -> meta(n, null)));
    objects.add(deployment(fullName, serverAddress, caCertificate != null));
    return objects;
  }

  /** {@link #objects()} as one multi-document YAML stream. */
  public String yaml() throws InstallOptionException {
    KubernetesSerialization serialization = new KubernetesSerialization();
    StringBuilder yaml = new StringBuilder();
    for (HasMetadata object : objects()) {
      String document = serialization.asYaml(object);
      yaml.append(document.startsWith("---") ? "" : "---\n").append(document);
      if (!document.endsWith("\n")) {
        yaml.append('\n');
      }
    }
    return yaml.toString();
  }

  private HasMetadata deployment(String fullName, String serverAddress, boolean withCa) {
    List<String> args = new ArrayList<>(List.of("agent", "--server", serverAddress, "--token-file", TOKEN_DIR + "/token",
        "--metrics-address", "0.0.0.0:" + METRICS_PORT, "--gitops-lease-name", fullName));
    List<Volume> volumes = new ArrayList<>();
    List<VolumeMount> mounts = new ArrayList<>();
    volumes.add(new VolumeBuilder().withName("token").withNewSecret().withSecretName(fullName + "-token")
        .addNewItem().withKey("token").withPath("token").endItem().withDefaultMode(0440).endSecret().build());
    mounts.add(new VolumeMountBuilder().withName("token").withMountPath(TOKEN_DIR).withReadOnly(true).build());
    if (withCa) {
      args.addAll(List.of("--ca-file", CA_DIR + "/ca.crt"));
      volumes.add(new VolumeBuilder().withName("ca").withNewConfigMap().withName(fullName + "-ca")
          .addNewItem().withKey("ca.crt").withPath("ca.crt").endItem().endConfigMap().build());
      mounts.add(new VolumeMountBuilder().withName("ca").withMountPath(CA_DIR).withReadOnly(true).build());
    }
    // The root filesystem is read-only; the JVM still wants a temporary folder.
    volumes.add(new VolumeBuilder().withName("tmp").withNewEmptyDir().endEmptyDir().build());
    mounts.add(new VolumeMountBuilder().withName("tmp").withMountPath("/tmp").build());

    var container = new ContainerBuilder().withName("agent").withImage(image).withImagePullPolicy("IfNotPresent")
        .withArgs(args)
        .withEnv(fieldEnv("POD_NAME", "metadata.name"), fieldEnv("POD_NAMESPACE", "metadata.namespace"),
            // Sized for a pod: the heap may use most of the memory limit (the default is a quarter); see AgentJvmOptions.
            new EnvVarBuilder().withName("JAVA_TOOL_OPTIONS").withValue(AgentJvmOptions.javaToolOptions()).build())
        .withNewResources()
          .addToRequests("cpu", new Quantity("100m")).addToRequests("memory", new Quantity("256Mi"))
          .addToLimits("memory", new Quantity("512Mi"))
        .endResources()
        .withNewSecurityContext().withAllowPrivilegeEscalation(false).withReadOnlyRootFilesystem(true)
          .withNewCapabilities().withDrop("ALL").endCapabilities()
        .endSecurityContext()
        .withVolumeMounts(mounts)
        .addNewPort().withName("metrics").withContainerPort(METRICS_PORT).withProtocol("TCP").endPort()
        // Alive while the JVM answers; ready while connected to the server.
        .withNewLivenessProbe().withNewHttpGet().withPath("/healthz").withNewPort("metrics").endHttpGet()
          .withPeriodSeconds(20).withFailureThreshold(3).endLivenessProbe()
        .withNewReadinessProbe().withNewHttpGet().withPath("/readyz").withNewPort("metrics").endHttpGet()
          .withPeriodSeconds(10).endReadinessProbe()
        .build();
    var pod = new PodSpecBuilder().withServiceAccountName(fullName).withAutomountServiceAccountToken(true)
        .withNewSecurityContext().withRunAsNonRoot(true).withRunAsUser(USER_ID).withRunAsGroup(USER_ID).withFsGroup(USER_ID)
          .withNewSeccompProfile().withType("RuntimeDefault").endSeccompProfile()
        .endSecurityContext()
        .withContainers(container).withVolumes(volumes).build();
    return new DeploymentBuilder().withMetadata(meta(fullName, namespace))
        .withNewSpec()
          .withReplicas(replicas)
          // The Lease lets only one replica apply, during a rollout too; one replica is still replaced, not doubled,
          // as before replicas. Several roll one at a time, so that proxied requests always have a replica.
          .withNewStrategy().withType(replicas == 1 ? "Recreate" : "RollingUpdate").endStrategy()
          .withNewSelector().withMatchLabels(labels()).endSelector()
          .withNewTemplate().withNewMetadata().withLabels(labels())
            .addToAnnotations("prometheus.io/scrape", "true").addToAnnotations("prometheus.io/port", Integer.toString(METRICS_PORT))
            .addToAnnotations("prometheus.io/path", "/metrics")
          .endMetadata().withSpec(pod).endTemplate()
        .endSpec()
        .build();
  }

  private static EnvVar fieldEnv(String name, String fieldPath) {
    return new EnvVarBuilder().withName(name).withNewValueFrom().withNewFieldRef().withFieldPath(fieldPath).endFieldRef()
        .endValueFrom().build();
  }

  private ObjectMeta meta(String objectName, String objectNamespace) {
    return new ObjectMetaBuilder().withName(objectName).withNamespace(objectNamespace).withLabels(labels()).build();
  }

  private Map<String, String> labels() {
    Map<String, String> labels = new LinkedHashMap<>();
    labels.put("app.kubernetes.io/name", "tether-agent");
    labels.put("app.kubernetes.io/instance", name);
    return labels;
  }

  private static void checkLabel(String option, String value, String what) throws InstallOptionException {
    if (value == null || value.isEmpty()) {
      throw new InstallOptionException(option + " is missing: give " + what);
    }
    if (!DNS_LABEL.matcher(value).matches()) {
      throw new InstallOptionException(option + " '" + value + "' is not a valid name: use at most 63 lower-case letters,"
          + " digits and '-', starting and ending with a letter or digit");
    }
  }

  private void checkNamespaced() throws InstallOptionException {
    Set<String> seen = new HashSet<>();
    for (String ns : namespaced) {
      if (ns == null || ns.isBlank()) {
        throw new InstallOptionException("--namespaced has an empty entry: list namespaces separated by commas, e.g. apps,web");
      }
      if (!DNS_LABEL.matcher(ns).matches()) {
        throw new InstallOptionException("--namespaced lists '" + ns + "', which is not a valid namespace name: use at most"
            + " 63 lower-case letters, digits and '-', starting and ending with a letter or digit");
      }
      if (!seen.add(ns)) {
        throw new InstallOptionException("--namespaced lists '" + ns + "' twice");
      }
    }
  }

  private String serverAddress() throws InstallOptionException {
    if (server == null) {
      throw new InstallOptionException("--server is missing: give the server's agent listener as HOST:PORT, "
          + "e.g. tether.example.com:8443");
    }
    String host = server.getHostString();
    if (host.isEmpty() || host.contains("/") || host.contains("@") || host.chars().anyMatch(Character::isWhitespace)) {
      throw new InstallOptionException("--server host '" + host + "' is not a host name or address: give the agent "
          + "listener as HOST:PORT (no https://), e.g. tether.example.com:8443");
    }
    if (server.getPort() == 0) {
      throw new InstallOptionException("--server needs the agent listener's port, e.g. " + host + ":8443");
    }
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + server.getPort();
  }

  private String readToken() throws InstallOptionException {
    if (tokenFile == null) {
      throw new InstallOptionException("--token-file is missing: give the file holding the agent's token");
    }
    String text = read("the token file", tokenFile);
    if (text.isBlank()) {
      throw new InstallOptionException("the token file " + tokenFile + " is empty: write the agent's token into it "
          + "(from `tether admin agent create --token-out` or `tether admin token create`)");
    }
    try {
      return SecretToken.parse(SecretToken.Kind.AGENT, text).reveal();
    } catch (MalformedTokenException e) {
      throw new InstallOptionException("the token file " + tokenFile + " does not hold an agent token: " + e.getMessage());
    }
  }

  private String readCaCertificate() throws InstallOptionException {
    String pem = read("the CA file", caFile);
    if (pem.contains("PRIVATE KEY")) {
      throw new InstallOptionException("the CA file " + caFile + " holds a private key: give only the CA certificate, "
          + "which is not secret and goes into a ConfigMap");
    }
    try {
      if (!pem.contains("-----BEGIN CERTIFICATE-----") || CertificateFactory.getInstance("X.509")
          .generateCertificates(new ByteArrayInputStream(pem.getBytes(StandardCharsets.US_ASCII))).isEmpty()) {
        throw new InstallOptionException("the CA file " + caFile + " holds no PEM certificate (-----BEGIN CERTIFICATE-----)");
      }
    } catch (CertificateException e) {
      throw new InstallOptionException("the CA file " + caFile + " is not a PEM certificate: " + e.getMessage());
    }
    return pem;
  }

  private static String read(String what, Path file) throws InstallOptionException {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      throw new InstallOptionException("cannot read " + what + " " + file + ": it does not exist");
    } catch (AccessDeniedException e) {
      throw new InstallOptionException("cannot read " + what + " " + file + ": permission denied");
    } catch (CharacterCodingException e) {
      throw new InstallOptionException(what + " " + file + " is not UTF-8 text");
    } catch (IOException e) {
      throw new InstallOptionException("cannot read " + what + " " + file + ": " + e.getMessage());
    }
  }
}
