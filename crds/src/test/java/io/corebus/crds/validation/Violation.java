package io.corebus.crds.validation;

/**
 * One reason the API server would refuse an object, printed the way kubectl shows it: {@code
 * spec.replicas.min: Invalid value: "object": replicas.min must not be greater than replicas.max}.
 *
 * @param field the field's path, such as {@code spec.provides[0].service}; empty for the object
 * @param kind the Kubernetes field error type
 * @param detail what kubectl prints after the path, such as {@code Required value}
 */
public record Violation(String field, Kind kind, String detail) {

  /** Kubernetes' field error types (k8s.io/apimachinery field.ErrorType), plus strict decoding. */
  public enum Kind {
    /** A field the schema does not know; kubectl's default strict validation refuses it. */
    UNKNOWN_FIELD(false),
    REQUIRED(true),
    TYPE_INVALID(true),
    NOT_SUPPORTED(true),
    TOO_LONG(true),
    TOO_MANY(true),
    INVALID(false),
    FORBIDDEN(false),
    DUPLICATE(false);

    /**
     * The API server skips the CEL rules when the schema check found an error of this kind: the
     * object does not have the shape the rules were written for.
     */
    final boolean blocksCelRules;

    Kind(boolean blocksCelRules) {
      this.blocksCelRules = blocksCelRules;
    }
  }

  @Override
  public String toString() {
    if (kind == Kind.UNKNOWN_FIELD) {
      return "unknown field \"" + field + "\"";
    }
    return (field.isEmpty() ? "<object>" : field) + ": " + detail;
  }
}
