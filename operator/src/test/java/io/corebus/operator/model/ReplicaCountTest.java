package io.corebus.operator.model;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.crds.Autoscaling;
import io.corebus.crds.AutoscalingMode;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.Replicas;
import org.junit.jupiter.api.Test;

class ReplicaCountTest {

  private static PluginSpec spec(Integer min, Integer max, Integer desired) {
    PluginSpec spec = new PluginSpec();
    if (min != null || max != null || desired != null) {
      Replicas r = new Replicas(min == null ? 1 : min, max);
      r.setDesired(desired);
      spec.setReplicas(r);
    }
    return spec;
  }

  @Test
  void noReplicasMeansExactlyOnePod() {
    ReplicaCount c = ReplicaCount.of(new PluginSpec());
    assertThat(c.desired()).isEqualTo(1);
    assertThat(c.max()).isEqualTo(1);
    assertThat(c.wantsDisruptionBudget()).isFalse();
  }

  @Test
  void maxDefaultsToMinAndDesiredDefaultsToMin() {
    ReplicaCount c = ReplicaCount.of(spec(3, null, null));
    assertThat(c.max()).isEqualTo(3);
    assertThat(c.desired()).isEqualTo(3);
    assertThat(c.wantsDisruptionBudget()).isTrue();
  }

  @Test
  void desiredIsClampedToMinAndMax() {
    assertThat(ReplicaCount.of(spec(2, 5, 4)).desired()).isEqualTo(4);
    assertThat(ReplicaCount.of(spec(2, 5, 9)).desired()).isEqualTo(5);
    assertThat(ReplicaCount.of(spec(2, 5, 1)).desired()).isEqualTo(2);
    assertThat(ReplicaCount.of(spec(0, 3, 0)).desired()).isZero();
  }

  @Test
  void externalModeUsesDesiredWithoutNote() {
    PluginSpec s = spec(1, 4, 3);
    Autoscaling a = new Autoscaling();
    a.setMode(AutoscalingMode.External);
    s.setAutoscaling(a);
    ReplicaCount c = ReplicaCount.of(s);
    assertThat(c.desired()).isEqualTo(3);
    assertThat(c.note()).isNull();
  }

  @Test
  void qpsModeStartsFromTheSameRuleTheAutoscalerThenReplaces() {
    PluginSpec s = spec(2, 4, null);
    Autoscaling a = new Autoscaling();
    a.setMode(AutoscalingMode.Qps);
    a.setTargetQpsPerReplica(100);
    s.setAutoscaling(a);
    ReplicaCount c = ReplicaCount.of(s);
    assertThat(c.desired()).isEqualTo(2);
    assertThat(c.note()).isNull();
    assertThat(c.withDesired(3)).isEqualTo(new ReplicaCount(2, 4, 3, null));
  }
}
