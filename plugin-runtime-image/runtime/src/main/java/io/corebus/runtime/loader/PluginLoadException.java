package io.corebus.runtime.loader;

/** The plug-in could not be fetched, verified or found. The message says why, for people. */
public class PluginLoadException extends Exception {
  private final String reason;

  public PluginLoadException(String reason, String message) {
    super(message);
    this.reason = reason;
  }

  public PluginLoadException(String reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = reason;
  }

  /** A CamelCase word for conditions and health data, such as {@code ChecksumMismatch}. */
  public String reason() {
    return reason;
  }
}
