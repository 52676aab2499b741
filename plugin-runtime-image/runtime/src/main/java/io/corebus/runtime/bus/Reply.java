package io.corebus.runtime.bus;

import io.grpc.Status;

/** The outcome of one call as it travels back to the caller: a status and, if OK, the response. */
record Reply(int code, String message, byte[] body) {
  static final byte[] EMPTY = new byte[0];

  static Reply ok(byte[] body) {
    return new Reply(0, null, body == null ? EMPTY : body);
  }

  static Reply error(Status status) {
    return new Reply(status.getCode().value(), status.getDescription(), EMPTY);
  }

  Status status() {
    Status s = Status.fromCodeValue(code);
    return message == null ? s : s.withDescription(message);
  }

  boolean isOk() {
    return code == 0;
  }
}
