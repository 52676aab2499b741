package io.corebus.runtime.loader;

import java.io.IOException;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.List;

/**
 * The class loader of one plug-in: child-first, except for the packages the runtime shares.
 *
 * <ul>
 *   <li>JDK classes always come from the JDK;
 *   <li>classes of the {@linkplain #SHARED_PACKAGES shared packages} always come from the runtime,
 *       so the plug-in and the runtime agree on {@code Plugin}, {@code BindableService}, {@code
 *       Channel}, protobuf messages, even when the jar bundles its own copies;
 *   <li>everything else comes from the plug-in's jars first, and from the runtime only when the
 *       jars do not have it. So a plug-in's libraries win over the runtime's.
 * </ul>
 */
public final class PluginClassLoader extends URLClassLoader {

  /** Package prefixes whose classes and resources are the runtime's. */
  public static final List<String> SHARED_PACKAGES =
      List.of(
          "io.corebus.plugin.",
          "io.grpc.",
          "com.google.protobuf.",
          // grpc-stub's future stubs hand out Guava's ListenableFuture
          "com.google.common.",
          "org.slf4j.");

  static {
    registerAsParallelCapable();
  }

  private final ClassLoader platform = ClassLoader.getPlatformClassLoader();

  public PluginClassLoader(String name, List<Path> jars, ClassLoader runtime) {
    super(name, urls(jars), runtime);
  }

  private static URL[] urls(List<Path> jars) {
    URL[] urls = new URL[jars.size()];
    for (int i = 0; i < urls.length; i++) {
      try {
        urls[i] = jars.get(i).toUri().toURL();
      } catch (MalformedURLException e) {
        throw new IllegalArgumentException(jars.get(i).toString(), e);
      }
    }
    return urls;
  }

  static boolean isShared(String className) {
    for (String prefix : SHARED_PACKAGES) {
      if (className.startsWith(prefix)) {
        return true;
      }
    }
    return false;
  }

  private static boolean isSharedResource(String resource) {
    return isShared(resource.replace('/', '.'));
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    synchronized (getClassLoadingLock(name)) {
      Class<?> c = findLoadedClass(name);
      if (c == null) {
        if (isShared(name)) {
          c = getParent().loadClass(name);
        } else {
          c = loadOrNull(platform, name);
          if (c == null) {
            try {
              c = findClass(name);
            } catch (ClassNotFoundException e) {
              c = getParent().loadClass(name);
            }
          }
        }
      }
      if (resolve) {
        resolveClass(c);
      }
      return c;
    }
  }

  private static Class<?> loadOrNull(ClassLoader loader, String name) {
    try {
      return loader.loadClass(name);
    } catch (ClassNotFoundException e) {
      return null;
    }
  }

  @Override
  public URL getResource(String name) {
    if (isSharedResource(name)) {
      return getParent().getResource(name);
    }
    URL url = findResource(name);
    return url != null ? url : getParent().getResource(name);
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    List<URL> all = new ArrayList<>();
    if (!isSharedResource(name)) {
      all.addAll(Collections.list(findResources(name)));
    }
    all.addAll(Collections.list(getParent().getResources(name)));
    return Collections.enumeration(all);
  }

  /** Resources in the plug-in's own jars only, without the runtime's. */
  public List<URL> ownResources(String name) throws IOException {
    return Collections.list(findResources(name));
  }
}
