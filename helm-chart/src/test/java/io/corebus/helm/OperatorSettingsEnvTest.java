package io.corebus.helm;

import static org.assertj.core.api.Assertions.assertThat;

import io.corebus.operator.config.CorebusConfig;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import java.lang.reflect.Method;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * Every COREBUS_* variable the chart sets names a real operator setting: a misspelled one would be
 * ignored by the operator without a word.
 */
class OperatorSettingsEnvTest {

  @Test
  void everyCorebusVariableOfTheDeploymentIsAnOperatorSetting() {
    Set<String> known = new TreeSet<>();
    collect(CorebusConfig.class, "corebus", known);
    Deployment deployment =
        RenderedChart.render(RenderedChart.valuesFile("values-production.yaml"), Map.of())
            .one(Deployment.class);

    var names =
        deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getEnv().stream()
            .map(EnvVar::getName)
            .filter(n -> n.startsWith("COREBUS_"))
            .toList();

    assertThat(names).hasSizeGreaterThan(15);
    assertThat(names)
        .allSatisfy(n -> assertThat(known).as("settings of CorebusConfig").contains(n));
  }

  /**
   * Environment names of every leaf of a @ConfigMapping interface (kebab-case, as SmallRye maps).
   */
  private static void collect(Class<?> type, String prefix, Set<String> out) {
    for (Method m : type.getDeclaredMethods()) {
      if (m.getParameterCount() != 0
          || m.isDefault()
          || java.lang.reflect.Modifier.isStatic(m.getModifiers())) {
        continue;
      }
      String path = prefix + "." + kebab(m.getName());
      Class<?> leaf = leafType(m.getGenericReturnType());
      if (leaf.isInterface() && leaf.getName().startsWith("io.corebus")) {
        collect(leaf, path, out);
      } else {
        out.add(path.toUpperCase(Locale.ROOT).replace('.', '_').replace('-', '_'));
      }
    }
  }

  private static Class<?> leafType(Type t) {
    if (t instanceof ParameterizedType p && p.getRawType() == java.util.Optional.class) {
      return leafType(p.getActualTypeArguments()[0]);
    }
    if (t instanceof ParameterizedType p) {
      return (Class<?>) p.getRawType();
    }
    return (Class<?>) t;
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([a-z0-9])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }
}
