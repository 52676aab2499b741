package io.corebus.samples.shop.plugins;

import io.corebus.plugin.Plugin;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceLoader;

/** A plug-in jar opened as the runtime opens it: its own class loader, its one Plugin. */
record PluginJar(Path jar, PluginJarClassLoader loader, Plugin plugin) implements AutoCloseable {

  /**
   * @throws IllegalStateException when the jar does not declare exactly one Plugin
   */
  static PluginJar open(Path jar) {
    PluginJarClassLoader loader = new PluginJarClassLoader(jar, PluginJar.class.getClassLoader());
    List<ServiceLoader.Provider<Plugin>> providers =
        ServiceLoader.load(Plugin.class, loader).stream()
            .filter(p -> p.type().getClassLoader() == loader)
            .toList();
    if (providers.size() != 1) {
      throw new IllegalStateException(
          jar + " declares " + providers.size() + " Plugins; the runtime needs exactly one");
    }
    return new PluginJar(jar, loader, providers.get(0).get());
  }

  @Override
  public void close() throws IOException {
    loader.close();
  }
}
