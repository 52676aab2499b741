package io.corebus.bus.protocol;

import java.security.KeyPair;
import java.util.Arrays;

/**
 * What signing and verifying a call costs (not a test: run on demand, prints figures).
 *
 * <pre>
 * ./mvnw -B -ntp -q -pl plugin-runtime-image/bus-protocol test-compile
 * java -cp plugin-runtime-image/bus-protocol/target/classes:plugin-runtime-image/bus-protocol/target/test-classes \
 *   io.corebus.bus.protocol.CallSignatureBenchmark
 * </pre>
 *
 * For each body size: 30 rounds of 2,000 operations after a warm-up of 20,000; prints the median
 * and the slowest round's mean, in microseconds per operation.
 */
public final class CallSignatureBenchmark {
  private static final int ROUNDS = 30;
  private static final int OPS = 2_000;

  public static void main(String[] args) {
    KeyPair keys = CallSignature.generateKeyPair();
    System.out.printf(
        "java %s, %s %s, %d cores%n",
        System.getProperty("java.version"),
        System.getProperty("os.name"),
        System.getProperty("os.arch"),
        Runtime.getRuntime().availableProcessors());
    for (int size : new int[] {32, 1024, 16 * 1024}) {
      CallSignature.Claims claims =
          new CallSignature.Claims(
              "orders",
              "shop.payment.PaymentService/Charge",
              "6f1c9d3e-2b4a-4c8e-9f10-3a5b7c9d1e2f",
              "0a1b2c3d-4e5f-6a7b-8c9d-0e1f2a3b4c5d",
              1_700_000_000_000L,
              "corebus.shop.reply.orders.orders-0123456789-0",
              new byte[size]);
      String sig = CallSignature.sign(keys.getPrivate(), claims);
      for (int i = 0; i < 10_000; i++) {
        sig = CallSignature.sign(keys.getPrivate(), claims);
        CallSignature.verify(keys.getPublic(), claims, sig);
      }
      double[] sign = new double[ROUNDS];
      double[] verify = new double[ROUNDS];
      for (int r = 0; r < ROUNDS; r++) {
        long t0 = System.nanoTime();
        for (int i = 0; i < OPS; i++) {
          sig = CallSignature.sign(keys.getPrivate(), claims);
        }
        long t1 = System.nanoTime();
        boolean ok = true;
        for (int i = 0; i < OPS; i++) {
          ok &= CallSignature.verify(keys.getPublic(), claims, sig);
        }
        long t2 = System.nanoTime();
        if (!ok) {
          throw new IllegalStateException("a signature did not verify");
        }
        sign[r] = (t1 - t0) / 1_000.0 / OPS;
        verify[r] = (t2 - t1) / 1_000.0 / OPS;
      }
      System.out.printf(
          "body %6d B: sign median %6.1f us (worst round %6.1f), verify median %6.1f us (worst"
              + " round %6.1f), per call %6.1f us%n",
          size,
          median(sign),
          max(sign),
          median(verify),
          max(verify),
          median(sign) + median(verify));
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s[s.length / 2];
  }

  private static double max(double[] v) {
    return Arrays.stream(v).max().orElseThrow();
  }
}
