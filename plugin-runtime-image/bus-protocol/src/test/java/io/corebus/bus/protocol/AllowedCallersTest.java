package io.corebus.bus.protocol;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class AllowedCallersTest {

  @Test
  void listedServicesAdmitOnlyTheirCallersAndOthersAdmitAnyone() {
    AllowedCallers a =
        AllowedCallers.parse("shop.payment.PaymentService=orders, checkout;shop.x.Refunds=support");

    assertThat(a.permits("shop.payment.PaymentService", "orders")).isTrue();
    assertThat(a.permits("shop.payment.PaymentService", "checkout")).isTrue();
    assertThat(a.permits("shop.payment.PaymentService", "mallory")).isFalse();
    assertThat(a.permits("shop.payment.PaymentService", null)).isFalse();
    assertThat(a.permits("shop.other.Service", "mallory")).isTrue();
    assertThat(AllowedCallers.parse("").permits("any.Service", "anyone")).isTrue();
  }

  @Test
  void theOperatorsFormatParsesBackToTheSamePolicy() {
    AllowedCallers a =
        AllowedCallers.of(Map.of("b.S", List.of("y", "x"), "a.S", List.of("z"), "c.S", List.of()));
    assertThat(a.format()).isEqualTo("a.S=z;b.S=x,y");
    assertThat(AllowedCallers.parse(a.format()).format()).isEqualTo(a.format());
    assertThat(a.permits("c.S", "anyone")).as("an empty list means anyone").isTrue();
  }

  @Test
  void aMalformedEntryIsNamed() {
    assertThatThrownBy(() -> AllowedCallers.parse("shop.S=a;oops"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'oops'");
  }
}
