package io.corebus.crds;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class RuntimeContractTest {

  @Test
  void aTerminationMessageSplitsBackIntoTheRuntimesReasonAndItsText() {
    String m =
        RuntimeContract.terminationMessage(
            RuntimeContract.FAILURE_CHECKSUM_MISMATCH, "the jar has SHA-256 ab: refusing");
    assertThat(m).isEqualTo("ChecksumMismatch: the jar has SHA-256 ab: refusing");
    assertThat(RuntimeContract.terminationReason(m)).isEqualTo("ChecksumMismatch");
    assertThat(RuntimeContract.terminationText(m)).isEqualTo("the jar has SHA-256 ab: refusing");
    // A trailing newline from a file is no part of the text.
    assertThat(RuntimeContract.terminationReason("StartFailed: boom\n")).isEqualTo("StartFailed");
  }

  @Test
  void messagesNotWrittenByTheRuntimeHaveNoReason() {
    assertThat(RuntimeContract.terminationReason(null)).isNull();
    assertThat(RuntimeContract.terminationReason("")).isNull();
    assertThat(RuntimeContract.terminationReason("killed")).isNull();
    assertThat(RuntimeContract.terminationReason("java.lang.OutOfMemoryError: Java heap space"))
        .isNull();
    assertThat(RuntimeContract.terminationReason("exit code: 137")).isNull();
    assertThat(RuntimeContract.terminationReason("Two words: text")).isNull();
    assertThat(RuntimeContract.terminationText("killed")).isEqualTo("killed");
  }
}
