package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.ValidationRule;

/** How a new version of a plug-in replaces the running one. */
@JsonInclude(JsonInclude.Include.NON_NULL)
@ValidationRule(
    value = "self.strategy != 'Canary' || has(self.canary)",
    message = "rollout.canary is required when rollout.strategy is Canary",
    fieldPath = ".canary")
public class Rollout {

  @Default("Rolling")
  @JsonPropertyDescription(
      "Rolling: new pods one at a time, each old pod removed only once a new one is Ready. Canary: the new version takes the weights in canary.steps, advancing while its error rate and latency stay within bounds. HotSwap: running runtimes load the new jar in place (jar artifacts only).")
  private RolloutStrategy strategy = RolloutStrategy.Rolling;

  @JsonPropertyDescription("Canary steps and analysis; used when strategy is Canary.")
  private CanaryRollout canary;

  public RolloutStrategy getStrategy() {
    return strategy;
  }

  public void setStrategy(RolloutStrategy strategy) {
    this.strategy = strategy;
  }

  public CanaryRollout getCanary() {
    return canary;
  }

  public void setCanary(CanaryRollout canary) {
    this.canary = canary;
  }
}
