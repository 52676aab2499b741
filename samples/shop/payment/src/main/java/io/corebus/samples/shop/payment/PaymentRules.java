package io.corebus.samples.shop.payment;

import java.util.Map;
import java.util.regex.Pattern;

/** What payment accepts, read from the plug-in's configuration. */
record PaymentRules(String currency, long maxAmountCents) {
  static final String CURRENCY = "currency";
  static final String MAX_AMOUNT_CENTS = "maxAmountCents";

  private static final Pattern ISO_4217 = Pattern.compile("[A-Z]{3}");

  /**
   * @throws IllegalArgumentException naming the key and the value when one is invalid
   */
  static PaymentRules from(Map<String, String> config) {
    String currency = config.getOrDefault(CURRENCY, "EUR");
    if (!ISO_4217.matcher(currency).matches()) {
      throw new IllegalArgumentException(
          CURRENCY + " must be a three-letter ISO 4217 code such as EUR, got '" + currency + "'");
    }
    String max = config.getOrDefault(MAX_AMOUNT_CENTS, "100000");
    long maxAmountCents;
    try {
      maxAmountCents = Long.parseLong(max);
    } catch (NumberFormatException e) {
      maxAmountCents = 0;
    }
    if (maxAmountCents <= 0) {
      throw new IllegalArgumentException(
          MAX_AMOUNT_CENTS + " must be a positive whole number of cents, got '" + max + "'");
    }
    return new PaymentRules(currency, maxAmountCents);
  }
}
