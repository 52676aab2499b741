package io.corebus.runtime.loader;

import io.corebus.crds.RuntimeContract;
import io.corebus.plugin.Plugin;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/** Finds the one {@link Plugin} of a plug-in's jars and instantiates it. */
public final class PluginDiscovery {

  static final String SERVICE_FILE = "META-INF/services/" + Plugin.class.getName();

  private PluginDiscovery() {}

  /** The jars of an image's plug-in directory: every {@code *.jar} in it and below, sorted. */
  public static List<Path> jarsIn(Path dir) throws PluginLoadException {
    if (!Files.isDirectory(dir)) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_NO_PLUGIN_JAR,
          "no plug-in: COREBUS_JAR_URL is not set and the plug-in directory "
              + dir
              + " does not exist");
    }
    try (Stream<Path> files = Files.walk(dir)) {
      List<Path> jars =
          files
              .filter(Files::isRegularFile)
              .filter(p -> p.getFileName().toString().endsWith(".jar"))
              .sorted()
              .toList();
      if (jars.isEmpty()) {
        throw new PluginLoadException(
            RuntimeContract.FAILURE_NO_PLUGIN_JAR,
            "no plug-in: COREBUS_JAR_URL is not set and " + dir + " contains no .jar file");
      }
      return jars;
    } catch (IOException e) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_NO_PLUGIN_JAR, "cannot list " + dir + ": " + e, e);
    }
  }

  /**
   * Instantiates the Plugin named by the jars' {@code META-INF/services/io.corebus.plugin.Plugin}.
   * Providers visible only through the runtime's own class path do not count.
   *
   * @throws PluginLoadException reason {@code NoPlugin}, {@code AmbiguousPlugin} or {@code
   *     PluginInstantiationFailed}
   */
  public static Plugin discover(PluginClassLoader loader) throws PluginLoadException {
    List<ServiceLoader.Provider<Plugin>> providers;
    try {
      providers =
          ServiceLoader.load(Plugin.class, loader).stream()
              .filter(p -> p.type().getClassLoader() == loader)
              .toList();
    } catch (ServiceConfigurationError e) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_PLUGIN_INSTANTIATION_FAILED,
          SERVICE_FILE + " in the plug-in jar is invalid: " + e,
          e);
    }
    if (providers.isEmpty()) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_NO_PLUGIN,
          "the plug-in jar declares no Plugin: add "
              + SERVICE_FILE
              + " naming the class that implements "
              + Plugin.class.getName());
    }
    if (providers.size() > 1) {
      throw new PluginLoadException(
          RuntimeContract.FAILURE_AMBIGUOUS_PLUGIN,
          "the plug-in jar declares "
              + providers.size()
              + " Plugins ("
              + String.join(", ", providers.stream().map(p -> p.type().getName()).toList())
              + "); a jar must declare exactly one in "
              + SERVICE_FILE);
    }
    ServiceLoader.Provider<Plugin> provider = providers.get(0);
    ClassLoader previous = Thread.currentThread().getContextClassLoader();
    Thread.currentThread().setContextClassLoader(loader);
    try {
      return provider.get();
    } catch (ServiceConfigurationError e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      throw new PluginLoadException(
          RuntimeContract.FAILURE_PLUGIN_INSTANTIATION_FAILED,
          "cannot instantiate " + provider.type().getName() + ": " + cause,
          cause);
    } finally {
      Thread.currentThread().setContextClassLoader(previous);
    }
  }
}
