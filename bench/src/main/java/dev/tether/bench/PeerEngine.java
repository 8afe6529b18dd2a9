package dev.tether.bench;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The apply engines Tether's users would otherwise run, built by bench/reference/build.sh: each
 * with the client-side rate limit its controller ships with, and again with none.
 *
 * <p>The GitLab agent (agentk) builds its client from kubectl's ConfigFlags and sets no QPS or
 * burst, so client-go's defaults apply: 5 QPS, burst 10. Flux's kustomize-controller defaults to
 * {@code --kube-api-qps 50 --kube-api-burst 300}, but drops the limit when the API server has API
 * Priority and Fairness on (as this one has): its unthrottled row is what it does here, its
 * throttled row what it does on an API server without it.
 */
enum PeerEngine {
  CLI_UTILS("cli-utils-applier", "cli-utils v0.37.2 (GitLab agent)", "5 QPS, burst 10", List.of()),
  FLUX_SSA("flux-ssa-applier", "fluxcd/pkg/ssa v0.78.0 (Flux)", "50 QPS, burst 300", List.of("-concurrent-ssa", "4"));

  /** How the engine's client is limited in one run. */
  enum Throttle { CONTROLLER_DEFAULT, UNTHROTTLED }

  private final String program;
  private final String label;
  private final String defaultLimit;
  private final List<String> extraArgs;

  PeerEngine(String program, String label, String defaultLimit, List<String> extraArgs) {
    this.program = program;
    this.label = label;
    this.defaultLimit = defaultLimit;
    this.extraArgs = extraArgs;
  }

  String program() {
    return program;
  }

  /** The programs' user agents start with their names; the audit log counts each by it. */
  String userAgentPrefix() {
    return program + "/";
  }

  String label(Throttle throttle) {
    return label + ", " + (throttle == Throttle.UNTHROTTLED ? "unthrottled" : defaultLimit);
  }

  /** The command line of one run: the programs' defaults are their controllers' limits. */
  List<String> command(Path binary, Path kubeconfig, Path manifests, String namespace, Throttle throttle, Path workDir) {
    List<String> command = new ArrayList<>(List.of(binary.toString(), "-kubeconfig", kubeconfig.toString(),
        "-dir", manifests.toString(), "-namespace", namespace, "-inventory", namespace));
    command.addAll(extraArgs);
    if (this == CLI_UTILS) {
      // kubectl's discovery cache, kept in the benchmark's folder instead of the user's home.
      command.addAll(List.of("-cache-dir", workDir.resolve("discovery-cache").toString()));
    }
    if (throttle == Throttle.UNTHROTTLED) {
      command.add("-unthrottled");
    }
    return command;
  }
}
