package io.corebus.operator.testing;

import io.corebus.crds.Artifact;
import io.corebus.crds.Plugin;
import io.corebus.crds.PluginSpec;
import io.corebus.crds.ProvidedService;
import io.corebus.crds.Replicas;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import java.util.ArrayList;
import java.util.List;

/** Plugins as a user would write them, for tests. */
public final class TestPlugins {
  private TestPlugins() {}

  public static final String SHA =
      "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

  /** A jar plug-in providing one service, one replica. */
  public static Plugin jarPlugin(String namespace, String name) {
    PluginSpec spec = new PluginSpec();
    spec.setVersion("1.0.0");
    spec.setArtifact(Artifact.ofJar("https://repo.example.com/" + name + ".jar", SHA));
    spec.setProvides(new ArrayList<>(List.of(new ProvidedService("shop." + name + "." + "Api"))));
    spec.setReplicas(new Replicas(1, null));
    Plugin p = new Plugin();
    p.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(namespace).build());
    p.setSpec(spec);
    return p;
  }

  /** The same with a uid and creationTimestamp, as the API server returns it. */
  public static Plugin stored(Plugin p, String uid, String creationTimestamp) {
    p.getMetadata().setUid(uid);
    p.getMetadata().setCreationTimestamp(creationTimestamp);
    p.getMetadata().setGeneration(1L);
    return p;
  }

  public static Plugin withReplicas(Plugin p, int min, Integer max, Integer desired) {
    Replicas r = new Replicas(min, max);
    r.setDesired(desired);
    p.getSpec().setReplicas(r);
    return p;
  }
}
