package io.corebus.samples.localjar;

/** A Plugin's {@code corebus.io/local-jar} annotation names no usable jar. */
public final class LocalJarException extends RuntimeException {
  public LocalJarException(String message) {
    super(message);
  }

  public LocalJarException(String message, Throwable cause) {
    super(message, cause);
  }
}
