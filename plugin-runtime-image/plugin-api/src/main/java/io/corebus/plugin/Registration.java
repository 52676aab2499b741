package io.corebus.plugin;

/** Undoes a registration, such as a configuration listener. Calling it twice does nothing. */
@FunctionalInterface
public interface Registration extends AutoCloseable {
  @Override
  void close();
}
