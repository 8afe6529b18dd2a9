package dev.tether.testkit.k8s;

import dev.tether.testkit.process.Stopping;
import dev.tether.testkit.process.Watchdog;
import io.fabric8.kubernetes.api.model.ContainerBuilder;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * A node of a {@link KubeControlPlane} that runs pods as local processes: the tether-testnode program
 * (tools/k8s/testnode) registers a Node, reports the pods bound to it Running and serves the kubelet's
 * exec, attach and port-forward endpoints to the API server, so real {@code kubectl exec}, {@code cp},
 * {@code attach} and {@code port-forward} work. Nothing is isolated: a container is a process group of
 * this machine, its files live in the pod's work folder, and its ports are on 127.0.0.1.
 */
public final class TestNode implements AutoCloseable {
  private static final Duration READY = Duration.ofSeconds(30);
  private static final Duration POD_RUNNING = Duration.ofSeconds(30);

  private final String name;
  private final Path workDir;
  private final Path log;
  private final Process process;
  private final Process watchdog;
  private final KubernetesClient admin;
  private boolean closed;

  private TestNode(String name, Path workDir, Path log, Process process, KubernetesClient admin) {
    this.name = name;
    this.workDir = workDir;
    this.log = log;
    this.process = process;
    this.admin = admin;
    this.watchdog = Watchdog.start("test node " + name, List.of(process));
  }

  /**
   * Starts a node of {@code plane} whose pods' files live under {@code workDir} (emptied first) and
   * waits until its Node is Ready.
   */
  public static TestNode start(KubeControlPlane plane, Path workDir) {
    Path binary = plane.binaries().testNode();
    if (!Files.isExecutable(binary)) {
      throw new IllegalStateException("The test node " + binary + " is missing. Run tools/k8s/build.sh"
          + " (tools/test.sh does it for you) and try again.");
    }
    String name = "tether-test-node-" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36 * 36), 36);
    Path dir = workDir.toAbsolutePath();
    Path log = dir.resolve("testnode.log");
    Process process;
    try {
      deleteRecursively(dir);
      Files.createDirectories(dir);
      KubeControlPlane.NodeCredentials credentials = plane.nodeCredentials();
      process = new ProcessBuilder(binary.toString(),
          "--kubeconfig", plane.kubeconfig().toString(),
          "--node-name", name,
          "--work-dir", dir.resolve("pods").toString(),
          "--tls-cert-file", credentials.certificate().toString(),
          "--tls-private-key-file", credentials.key().toString(),
          "--client-ca-file", credentials.clientCa().toString())
          .redirectErrorStream(true)
          .redirectOutput(log.toFile())
          .start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the test node " + binary + ": " + e.getMessage(), e);
    }
    TestNode node = new TestNode(name, dir, log, process, plane.newAdminClient("default"));
    try {
      node.awaitReady();
    } catch (RuntimeException e) {
      node.close();
      throw e;
    }
    return node;
  }

  public String name() {
    return name;
  }

  /** The program's log: what it did and every error it met. */
  public Path log() {
    return log;
  }

  /** The work folder of a pod: its containers' working directory, where relative paths of exec and cp land. */
  public Path podDir(String namespace, String pod) {
    return workDir.resolve("pods").resolve(namespace).resolve(pod);
  }

  /**
   * Creates a pod bound to this node (there is no scheduler) and waits until it is Running with
   * every container started.
   */
  public Pod runPod(String namespace, String podName, TestContainer... containers) {
    PodBuilder pod = new PodBuilder().withNewMetadata().withName(podName).withNamespace(namespace).endMetadata()
        .withNewSpec().withNodeName(name).withRestartPolicy("Never").withAutomountServiceAccountToken(false)
        .withTerminationGracePeriodSeconds(1L).endSpec();
    for (TestContainer c : containers) {
      ContainerBuilder container = new ContainerBuilder().withName(c.name()).withImage("tether-testnode/local")
          .withCommand(c.command()).withStdin(c.stdin()).withStdinOnce(c.stdin());
      if (c.port() > 0) {
        container.withPorts(new ContainerPortBuilder().withContainerPort(c.port()).build());
      }
      pod.editSpec().addToContainers(container.build()).endSpec();
    }
    createWhenServiceAccountExists(pod.build());
    return awaitRunning(namespace, podName, containers.length);
  }

  /** The default ServiceAccount of a namespace just made comes a moment later; admission refuses pods until then. */
  private void createWhenServiceAccountExists(Pod pod) {
    long deadline = System.nanoTime() + Duration.ofSeconds(15).toNanos();
    while (true) {
      try {
        admin.pods().inNamespace(pod.getMetadata().getNamespace()).resource(pod).create();
        return;
      } catch (KubernetesClientException e) {
        boolean noServiceAccount = e.getMessage() != null && e.getMessage().contains("serviceaccount");
        if (!noServiceAccount || System.nanoTime() > deadline) {
          throw e;
        }
        sleep(100);
      }
    }
  }

  private Pod awaitRunning(String namespace, String podName, int containers) {
    long deadline = System.nanoTime() + POD_RUNNING.toNanos();
    Pod pod = null;
    while (System.nanoTime() < deadline) {
      requireAlive();
      pod = admin.pods().inNamespace(namespace).withName(podName).get();
      if (pod != null && pod.getStatus() != null && "Running".equals(pod.getStatus().getPhase())
          && pod.getStatus().getContainerStatuses().size() == containers
          && pod.getStatus().getContainerStatuses().stream().allMatch(s -> s.getState().getRunning() != null)) {
        return pod;
      }
      sleep(50);
    }
    throw new IllegalStateException("pod " + namespace + "/" + podName + " was not Running on test node " + name
        + " within " + POD_RUNNING.toSeconds() + " s; its status: " + (pod == null ? "(no pod)" : pod.getStatus())
        + "\nthe node's log " + log + " ends with:\n" + tail());
  }

  private void awaitReady() {
    long deadline = System.nanoTime() + READY.toNanos();
    while (System.nanoTime() < deadline) {
      requireAlive();
      Node node = admin.nodes().withName(name).get();
      if (node != null && node.getStatus() != null && node.getStatus().getConditions() != null
          && node.getStatus().getConditions().stream().anyMatch(c -> "Ready".equals(c.getType()) && "True".equals(c.getStatus()))) {
        System.out.printf("[test-node] %s ready (log %s)%n", name, log);
        return;
      }
      sleep(50);
    }
    throw new IllegalStateException("test node " + name + " was not Ready within " + READY.toSeconds()
        + " s; its log " + log + " ends with:\n" + tail());
  }

  private void requireAlive() {
    if (!process.isAlive()) {
      throw new IllegalStateException("test node " + name + " exited with code " + process.exitValue()
          + "; its log " + log + " ends with:\n" + tail());
    }
  }

  /**
   * Stops the node with SIGTERM: it ends its pods' processes and removes its pods and its Node from
   * the API. Safe to call twice.
   */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    Stopping.gracefully(process, Duration.ofSeconds(15));
    watchdog.destroyForcibly();
    admin.close();
  }

  private String tail() {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
    } catch (IOException e) {
      return "(unreadable: " + e.getMessage() + ")";
    }
  }

  private static void deleteRecursively(Path path) throws IOException {
    if (!Files.exists(path)) {
      return;
    }
    try (var walk = Files.walk(path)) {
      List<Path> all = new ArrayList<>(walk.toList());
      all.sort((a, b) -> b.getNameCount() - a.getNameCount());
      for (Path p : all) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    }
  }
}
