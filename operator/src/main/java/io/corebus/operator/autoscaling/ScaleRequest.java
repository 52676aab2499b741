package io.corebus.operator.autoscaling;

import io.corebus.crds.AutoscalingMode;
import io.corebus.operator.telemetry.PluginStats;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

/**
 * Everything the autoscaler looks at for one plug-in, at one instant.
 *
 * @param mode spec.autoscaling.mode
 * @param min replicas.min
 * @param max replicas.max (at least min)
 * @param requested replicas.desired (the scale subresource), null when unset
 * @param targetQpsPerReplica null when unset
 * @param targetLagPerReplica null when unset
 * @param stabilization scale-down stabilization window
 * @param current the count in force (the last decision, kept in status.desiredReplicas)
 * @param readyReplicas pods that are Ready (each should be reporting telemetry)
 * @param stats the plug-in's telemetry, empty when none arrived
 * @param waiting requests waiting on the plug-in's request topics for its consumer group (from
 *     Kafka, no runtime needed), empty when unknown
 * @param partitions partitions of the plug-in's largest request topic, empty when unknown or when
 *     it provides no service
 * @param staleAfter telemetry older than this is stale
 * @param now the decision's instant
 */
public record ScaleRequest(
    AutoscalingMode mode,
    int min,
    int max,
    Integer requested,
    Integer targetQpsPerReplica,
    Integer targetLagPerReplica,
    Duration stabilization,
    int current,
    int readyReplicas,
    Optional<PluginStats> stats,
    OptionalLong waiting,
    OptionalInt partitions,
    Duration staleAfter,
    Instant now) {}
