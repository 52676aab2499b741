package io.corebus.runtime.loader;

/** The plug-in could not be fetched, verified or found. The message says why, for people. */
public class PluginLoadException extends Exception {
  private final String reason;
  private final boolean transientFailure;

  public PluginLoadException(String reason, String message) {
    this(reason, message, null, false);
  }

  public PluginLoadException(String reason, String message, Throwable cause) {
    this(reason, message, cause, false);
  }

  /**
   * @param transientFailure whether the same attempt may succeed later without any change (the
   *     server answered 5xx or 429, or could not be reached)
   */
  public PluginLoadException(
      String reason, String message, Throwable cause, boolean transientFailure) {
    super(message, cause);
    this.reason = reason;
    this.transientFailure = transientFailure;
  }

  /** A CamelCase word for conditions and health data, such as {@code ChecksumMismatch}. */
  public String reason() {
    return reason;
  }

  /**
   * Whether trying again later, with the same URL and checksum, may succeed: true only for a
   * download that failed on an unreachable server or an HTTP 5xx/429, never for a missing jar
   * (404), a wrong checksum or a plug-in that does not start.
   */
  public boolean transientFailure() {
    return transientFailure;
  }
}
