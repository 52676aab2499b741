package io.corebus.localcluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

class SecuredKafkaBrokerIT {

  @RegisterExtension
  static final KafkaBrokerExtension kafka =
      new KafkaBrokerExtension(new KafkaBroker.Options().secured());

  @Test
  void theSuperUserManagesTopicsAndAWrongPasswordIsRefused() throws Exception {
    KafkaBroker broker = kafka.broker();
    assertThat(broker.isSecured()).isTrue();
    broker.createTopic("secured-topic", 1);
    try (Admin admin = Admin.create(broker.clientProperties())) {
      // The broker's listing shows a new topic a moment after the controller has it.
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(admin.listTopics().names().get(10, TimeUnit.SECONDS))
                      .contains("secured-topic"));
    }

    Map<String, Object> wrong = broker.clientProperties(KafkaBroker.SUPER_USER, "not-it");
    try (Admin admin = Admin.create(wrong)) {
      assertThatThrownBy(() -> admin.listTopics().names().get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(SaslAuthenticationException.class);
    }
  }

  @Test
  void aUserWithoutAclsSeesNoTopic() throws Exception {
    KafkaBroker broker = kafka.broker();
    broker.createTopic("private-topic", 1);
    try (Admin admin = Admin.create(broker.clientProperties())) {
      admin
          .alterUserScramCredentials(
              List.of(
                  new UserScramCredentialUpsertion(
                      "nobody",
                      new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 4096),
                      "nobody-secret")))
          .all()
          .get(10, TimeUnit.SECONDS);
    }
    // The broker applies the new user a moment after the controller has it.
    await()
        .atMost(Duration.ofSeconds(10))
        .ignoreExceptionsInstanceOf(ExecutionException.class)
        .until(
            () -> {
              try (Admin nobody =
                  Admin.create(broker.clientProperties("nobody", "nobody-secret"))) {
                return !nobody.describeCluster().nodes().get(10, TimeUnit.SECONDS).isEmpty();
              }
            });
    try (Admin nobody = Admin.create(broker.clientProperties("nobody", "nobody-secret"))) {
      assertThat(nobody.listTopics().names().get(10, TimeUnit.SECONDS))
          .doesNotContain("private-topic");
      assertThatThrownBy(
              () ->
                  nobody
                      .describeTopics(List.of("private-topic"))
                      .allTopicNames()
                      .get(10, TimeUnit.SECONDS))
          .hasCauseInstanceOf(TopicAuthorizationException.class);
    }
  }
}
