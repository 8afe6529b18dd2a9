package dev.tether.testkit;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.TestPlan;

/**
 * Prints one line per test with its outcome and time, so a CI log shows what ran and what it
 * proved (surefire alone prints only per-class counts). Found by the JUnit launcher through
 * META-INF/services.
 */
public final class TestOutcomeLog implements TestExecutionListener {
  private final Map<String, Long> started = new ConcurrentHashMap<>();
  private TestPlan plan;

  @Override
  public void testPlanExecutionStarted(TestPlan testPlan) {
    plan = testPlan;
  }

  @Override
  public void executionStarted(TestIdentifier test) {
    if (test.isTest()) {
      started.put(test.getUniqueId(), System.nanoTime());
    }
  }

  @Override
  public void executionSkipped(TestIdentifier test, String reason) {
    if (test.isTest()) {
      System.out.printf("[test] SKIPPED %s (%s)%n", name(test), reason);
    }
  }

  @Override
  public void executionFinished(TestIdentifier test, TestExecutionResult result) {
    if (!test.isTest()) {
      return;
    }
    Long began = started.remove(test.getUniqueId());
    long millis = began == null ? 0 : (System.nanoTime() - began) / 1_000_000;
    String outcome = switch (result.getStatus()) {
      case SUCCESSFUL -> "PASSED ";
      case ABORTED -> "ABORTED";
      case FAILED -> "FAILED ";
    };
    System.out.printf("[test] %s %s (%d ms)%s%n", outcome, name(test), millis,
        result.getThrowable().map(t -> ": " + t).orElse(""));
  }

  private String name(TestIdentifier test) {
    String parent = plan == null ? "" : plan.getParent(test).map(TestIdentifier::getDisplayName).orElse("");
    return parent.isEmpty() ? test.getDisplayName() : parent + " > " + test.getDisplayName();
  }
}
