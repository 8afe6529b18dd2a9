package dev.tether.testkit.k8s;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Runs a test class against the real control plane of {@link KubernetesExtension}: test methods may
 * take a {@link io.fabric8.kubernetes.client.KubernetesClient} (defaulting to the test's own
 * namespace), a {@link TestNamespace} and the {@link KubeControlPlane}.
 */
@Target(ElementType.TYPE)
@Retention(RetentionPolicy.RUNTIME)
@ExtendWith(KubernetesExtension.class)
public @interface WithKubernetes {}
