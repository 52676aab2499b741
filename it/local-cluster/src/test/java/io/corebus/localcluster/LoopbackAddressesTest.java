package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Pod addresses on the loopback interface. */
class LoopbackAddressesTest {

  @Test
  void addressesAreDistinctAndSpillIntoTheNextBlock() {
    LoopbackAddresses pool = new LoopbackAddresses(1, 2);
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 300; i++) {
      seen.add(pool.allocate());
    }

    assertThat(seen)
        .hasSize(300)
        .contains("127.0.1.1", "127.0.1.254", "127.0.2.1")
        .doesNotContain("127.0.1.255", "127.0.1.0");
  }

  @Test
  void aReleasedAddressIsNotHandedOutAgainAtOnce() {
    LoopbackAddresses pool = new LoopbackAddresses(1, 1);
    String first = pool.allocate();
    String second = pool.allocate();
    pool.release(first);

    assertThat(pool.allocate()).isNotEqualTo(first).isNotEqualTo(second);
    assertThat(pool.inUse()).isEqualTo(2);
  }

  @Test
  void anExhaustedPoolSaysSo() {
    LoopbackAddresses pool = new LoopbackAddresses(255, 1);
    for (int i = 0; i < 254; i++) {
      pool.allocate();
    }

    assertThatThrownBy(pool::allocate)
        .hasMessageContaining("all 254 loopback pod addresses are in use");
  }
}
