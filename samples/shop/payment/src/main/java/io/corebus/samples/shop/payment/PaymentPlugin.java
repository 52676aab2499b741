package io.corebus.samples.shop.payment;

import io.corebus.plugin.Plugin;
import io.corebus.plugin.PluginContext;
import io.corebus.plugin.Registration;
import java.lang.System.Logger.Level;

/**
 * Serves {@code shop.payment.PaymentService}. Configuration ({@code spec.config} of its Plugin):
 *
 * <ul>
 *   <li>{@code currency}: ISO 4217 code charges are made in, default {@code EUR};
 *   <li>{@code maxAmountCents}: larger charges are declined, default {@code 100000}.
 * </ul>
 *
 * <p>For rollout drills, the environment variable {@value PaymentService#FAIL_PERCENT_ENV} (0..100,
 * set in the Plugin's {@code spec.env}) makes that share of charges fail with {@code INTERNAL}: a
 * deliberately failing version. It is env, not {@code spec.config}, because config is shared by
 * every revision of a Plugin, while env belongs to the revision that carries it (a canary's stable
 * pods keep working).
 *
 * <p>An invalid configuration at start fails the start (the pod shows why); an invalid change while
 * running is logged and the previous rules stay.
 */
public final class PaymentPlugin implements Plugin {
  public static final String VERSION = "1.0.0";

  private Registration configListener;

  @Override
  public void start(PluginContext context) {
    PaymentService service =
        new PaymentService(
            PaymentRules.from(context.config().asMap()),
            context.metrics(),
            PaymentService.failPercent(System.getenv(PaymentService.FAIL_PERCENT_ENV)));
    context.registerService(service);
    // Parse once per change rather than on every call; a running plug-in keeps working rules.
    configListener =
        context
            .config()
            .onChange(
                config -> {
                  try {
                    PaymentRules rules = PaymentRules.from(config);
                    service.useRules(rules);
                    context.logger().log(Level.INFO, "payment rules now {0}", rules);
                  } catch (IllegalArgumentException e) {
                    context
                        .logger()
                        .log(
                            Level.WARNING,
                            "ignoring the configuration change, keeping the previous rules: {0}",
                            e.getMessage());
                  }
                });
  }

  @Override
  public void stop() {
    if (configListener != null) {
      configListener.close();
    }
  }

  @Override
  public String version() {
    return VERSION;
  }
}
