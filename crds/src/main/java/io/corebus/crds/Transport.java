package io.corebus.crds;

/** How calls reach a service. Lower-case because they are the values users write in YAML. */
public enum Transport {
  /** Requests and replies travel as Kafka records through the core's bus. */
  bus,
  /** Direct gRPC to the providing plug-in's pods; the route table still names the endpoints. */
  hybrid
}
