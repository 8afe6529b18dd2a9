package dev.tether.cli;

import dev.tether.cli.install.AgentInstallManifests;
import dev.tether.cli.install.InstallOptionException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(
    name = "manifests",
    mixinStandardHelpOptions = true,
    description = {
        "Prints the Kubernetes objects that install an agent in a cluster, as YAML.",
        "Pipe it to `kubectl apply -f -`. It holds a Namespace, a ServiceAccount, a Secret with the agent's token, a ConfigMap with the CA (with "
            + "--ca-file), the RBAC below, and a Deployment of one non-root pod with a read-only root filesystem that runs "
            + "`tether agent` as the pod's service account. The token is in the output: keep what you save of it as "
            + "secret as the token.",
        "",
        "RBAC, cluster-wide (the default): a ClusterRole and ClusterRoleBinding that let the agent do everything, as the "
            + "GitLab agent's default install does: Git decides what it applies, and the cluster's RBAC decides what the "
            + "callers it impersonates for the Kubernetes API proxy may do.",
        "",
        "RBAC with --namespaced NS,...: a Role and RoleBinding with every right in each listed namespace (which must "
            + "exist) and nothing cluster-wide. The agent cannot create namespaces, CRDs or other cluster-scoped objects, "
            + "nor list across namespaces, and it cannot impersonate, so the Kubernetes API proxy works only with "
            + "`access_as: agent`. --allow-impersonation adds a ClusterRole to impersonate users, groups, service "
            + "accounts, uids and extras; that lets the agent act as anyone, system:masters included, so it is as strong "
            + "as cluster-wide rights."
    },
    footer = {
        "",
        "Examples:",
        "  tether agent manifests --name prod --server tether.example.com:8443 \\",
        "      --token-file prod.token | kubectl apply -f -",
        "",
        "  # only namespaces apps and web, a private CA, an image of your own:",
        "  tether agent manifests --name prod --server tether.example.com:8443 \\",
        "      --token-file prod.token --namespaced apps,web --ca-file ca.crt \\",
        "      --image registry.example.com/tether:0.1.0 | kubectl apply -f -"
    })
final class ManifestsCommand implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--name", required = true, paramLabel = "NAME",
      description = "The agent's name (as in `tether admin agent create NAME`); objects are named tether-agent-NAME.")
  String name;

  @Option(names = "--server", required = true, paramLabel = "HOST:PORT", converter = HostPortConverter.class,
      description = "The server's agent listener, as the agent's own --server takes it.")
  InetSocketAddress server;

  @Option(names = "--token-file", required = true, paramLabel = "FILE",
      description = "File holding the agent's token (from `tether admin agent create` or `tether admin token create`); "
          + "it goes into a Secret and nowhere else.")
  Path tokenFile;

  @Option(names = "--namespace", paramLabel = "NAMESPACE", defaultValue = AgentInstallManifests.DEFAULT_NAMESPACE,
      description = "The namespace the agent runs in; the output creates it (default: ${DEFAULT-VALUE}).")
  String namespace;

  @Option(names = "--namespaced", paramLabel = "NS", split = ",",
      description = "Give the agent rights only in these existing namespaces instead of the whole cluster.")
  List<String> namespaced = new ArrayList<>();

  @Option(names = "--allow-impersonation",
      description = "With --namespaced: let the agent impersonate (needed for access_as other than agent); "
          + "cluster-wide rights include it.")
  boolean allowImpersonation;

  @Option(names = "--replicas", paramLabel = "N", defaultValue = "1",
      description = "How many agent replicas run (default: ${DEFAULT-VALUE}). A Lease elects the one that runs GitOps; "
          + "every replica serves proxied requests, and another takes GitOps over within 15 s when the leader goes.")
  int replicas;

  @Option(names = "--ca-file", paramLabel = "FILE",
      description = "PEM CA certificate of the server's certificate, put in a ConfigMap and passed to the agent as "
          + "--ca-file (default: the image's trusted CAs).")
  Path caFile;

  @Option(names = "--image", paramLabel = "IMAGE",
      // The default on a line of its own, so that help never breaks the reference in two.
      description = {"The agent's image, as built from deploy/docker/Dockerfile. Default:", "${DEFAULT-VALUE}"})
  String image = AgentInstallManifests.defaultImage();

  @Override
  public Integer call() {
    String yaml;
    try {
      yaml = new AgentInstallManifests().name(name).server(server).tokenFile(tokenFile).namespace(namespace)
          .namespaced(namespaced).allowImpersonation(allowImpersonation).caFile(caFile).image(image).replicas(replicas).yaml();
    } catch (InstallOptionException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    spec.commandLine().getOut().print(yaml);
    spec.commandLine().getOut().flush();
    return 0;
  }
}
