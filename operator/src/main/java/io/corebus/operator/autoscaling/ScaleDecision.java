package io.corebus.operator.autoscaling;

/**
 * What the autoscaler decided for one plug-in.
 *
 * @param desired the pod count to run now
 * @param recommended what the figures alone ask for (bounded and capped, before the stabilization
 *     window and before a refused scale-in)
 * @param condition the Autoscaling condition to show; null in mode Off
 */
public record ScaleDecision(int desired, int recommended, Verdict condition) {

  /**
   * The Autoscaling condition.
   *
   * @param ok true while the autoscaler acts on trustworthy figures
   * @param reason a CamelCase reason (constants of {@link Autoscaler})
   * @param message for people
   */
  public record Verdict(boolean ok, String reason, String message) {}
}
