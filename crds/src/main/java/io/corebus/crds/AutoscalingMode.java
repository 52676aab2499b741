package io.corebus.crds;

/** Where the plug-in's replica count comes from. */
public enum AutoscalingMode {
  Off,
  Qps,
  Lag,
  QpsAndLag,
  External
}
