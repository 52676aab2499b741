package io.corebus.operator.bus;

import io.quarkus.arc.DefaultBean;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.inject.Produces;
import jakarta.inject.Singleton;

/** {@link PluginTopics#NONE} unless another bean provides real topic handling. */
@ApplicationScoped
public class PluginTopicsProducer {

  @Produces
  @Singleton
  @DefaultBean
  PluginTopics none() {
    return PluginTopics.NONE;
  }
}
