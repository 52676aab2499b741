package io.corebus.localcluster;

import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * One Kafka broker per test class: started before the first test, stopped after the last.
 *
 * <pre>{@code
 * @RegisterExtension static final KafkaBrokerExtension kafka = new KafkaBrokerExtension();
 *
 * @Test void roundTrip() { ... kafka.bootstrapServers() ... }
 * }</pre>
 *
 * <p>or {@code @ExtendWith(KafkaBrokerExtension.class)} with a {@link KafkaBroker} parameter on
 * test methods or {@code @BeforeAll} methods. With {@value KafkaBroker#EXTERNAL_BOOTSTRAP_ENV} set,
 * tests use that cluster instead of starting a broker.
 */
public final class KafkaBrokerExtension
    implements BeforeAllCallback, AfterAllCallback, ParameterResolver {

  private final KafkaBroker.Options options;
  private KafkaBroker broker;

  public KafkaBrokerExtension() {
    this(new KafkaBroker.Options());
  }

  public KafkaBrokerExtension(KafkaBroker.Options options) {
    this.options = options;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    if (broker == null) {
      broker = KafkaBroker.startOrConnect(options);
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    if (broker != null) {
      broker.close();
      broker = null;
    }
  }

  /** The running broker; only valid between the class's first and last test. */
  public KafkaBroker broker() {
    if (broker == null) {
      throw new IllegalStateException("the broker runs only while the test class runs");
    }
    return broker;
  }

  public String bootstrapServers() {
    return broker().bootstrapServers();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == KafkaBroker.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    return broker();
  }
}
