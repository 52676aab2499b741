package io.corebus.samples.shop.plugins;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.List;

/**
 * Loads a plug-in jar the way the Corebus runtime does (see the runtime's PluginClassLoader), but
 * strictly: the shared packages come from the parent (standing in for the runtime), the JDK from
 * the JDK, and everything else from the jar only. A class the jar forgot to bundle fails here with
 * NoClassDefFoundError instead of being found on the test's class path.
 */
final class PluginJarClassLoader extends URLClassLoader {
  /** The runtime's shared packages: the plug-in SDK, gRPC, protobuf, Guava, SLF4J. */
  static final List<String> SHARED_PACKAGES =
      List.of(
          "io.corebus.plugin.",
          "io.grpc.",
          "com.google.protobuf.",
          "com.google.common.",
          "org.slf4j.");

  static {
    registerAsParallelCapable();
  }

  private final ClassLoader platform = ClassLoader.getPlatformClassLoader();

  PluginJarClassLoader(Path jar, ClassLoader runtime) {
    super(jar.getFileName().toString(), new URL[] {url(jar)}, runtime);
  }

  private static URL url(Path jar) {
    try {
      return jar.toUri().toURL();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static boolean isShared(String className) {
    return SHARED_PACKAGES.stream().anyMatch(className::startsWith);
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    synchronized (getClassLoadingLock(name)) {
      Class<?> c = findLoadedClass(name);
      if (c == null) {
        if (isShared(name)) {
          c = getParent().loadClass(name);
        } else {
          try {
            c = platform.loadClass(name);
          } catch (ClassNotFoundException notJdk) {
            c = findClass(name);
          }
        }
      }
      if (resolve) {
        resolveClass(c);
      }
      return c;
    }
  }

  @Override
  public URL getResource(String name) {
    return isShared(name.replace('/', '.')) ? getParent().getResource(name) : findResource(name);
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    return isShared(name.replace('/', '.')) ? getParent().getResources(name) : findResources(name);
  }
}
