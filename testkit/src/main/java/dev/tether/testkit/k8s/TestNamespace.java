package dev.tether.testkit.k8s;

/** The namespace made for one test; it is deleted after the test. */
public record TestNamespace(String name) {
  @Override
  public String toString() {
    return name;
  }
}
