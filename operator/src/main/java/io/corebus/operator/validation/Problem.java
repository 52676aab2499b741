package io.corebus.operator.validation;

/**
 * One reason a Plugin cannot be run as written.
 *
 * @param reason a CamelCase word for the Ready condition's reason
 * @param message a sentence for people: what is wrong and how to fix it
 */
public record Problem(String reason, String message) {
  public static final String INVALID_NAME = "InvalidName";
  public static final String KAFKA_BOOTSTRAP_MISSING = "KafkaBootstrapMissing";
  public static final String RESERVED_ENV_NAME = "ReservedEnvName";
  public static final String INVALID_POD_TEMPLATE = "InvalidPodTemplate";
  public static final String DUPLICATE_SERVICE_PROVIDER = "DuplicateServiceProvider";
  public static final String INVALID_SPEC = "InvalidSpec";
}
