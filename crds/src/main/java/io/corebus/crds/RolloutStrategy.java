package io.corebus.crds;

/** How a new version replaces the running one. */
public enum RolloutStrategy {
  Rolling,
  Canary,
  HotSwap
}
