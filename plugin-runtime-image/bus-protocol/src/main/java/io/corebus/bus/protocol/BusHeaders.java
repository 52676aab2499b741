package io.corebus.bus.protocol;

/**
 * Kafka record headers of the bus protocol. Values are UTF-8 strings unless noted.
 *
 * <h2>Request</h2>
 *
 * A request record goes to the topic of the version picked from the service's {@link ServiceRoute}
 * (by default {@link BusTopics#requests}); its key is the idempotency key (so retries of one call
 * land on the same partition), its value the serialized gRPC request message. Headers: {@link
 * #PROTOCOL}, {@link #CORRELATION_ID}, {@link #IDEMPOTENCY_KEY}, {@link #METHOD}, {@link
 * #DEADLINE}, {@link #CALLER}, {@link #CALLER_INSTANCE}, {@link #REPLY_TO}, {@link
 * #REPLY_PARTITION}, {@link #ATTEMPT}, and {@link #TRACEPARENT} / {@link #TRACESTATE} when the call
 * is traced; {@link #SIGNATURE} when the caller has a signing key (a secured bus).
 *
 * <h2>Reply</h2>
 *
 * A reply record goes to the request's {@link #REPLY_TO} topic and {@link #REPLY_PARTITION}; its
 * value is the serialized response message (empty on error). Headers: {@link #PROTOCOL}, {@link
 * #CORRELATION_ID} (copied from the request), {@link #STATUS}, {@link #STATUS_MESSAGE} (on error),
 * {@link #CALLEE}, {@link #CALLEE_VERSION}.
 *
 * <h2>Event</h2>
 *
 * An event record goes to {@link BusTopics#events}; its key is the event id, its value the payload.
 * Headers: {@link #PROTOCOL}, {@link #EVENT_ID}, {@link #EVENT_TYPE}, {@link #EVENT_SOURCE}, {@link
 * #EVENT_TIME}, trace context. A dead letter copies the event with {@link #DEAD_LETTER_REASON},
 * {@link #DEAD_LETTER_ATTEMPTS}, {@link #DEAD_LETTER_TOPIC}, {@link #DEAD_LETTER_PARTITION}, {@link
 * #DEAD_LETTER_OFFSET} added.
 */
public final class BusHeaders {
  private BusHeaders() {}

  /** The protocol version of the record; this is version {@value #PROTOCOL_VERSION}. */
  public static final String PROTOCOL = "corebus-protocol";

  public static final String PROTOCOL_VERSION = "1";

  /** Matches a reply to the call attempt that waits for it: unique per attempt. */
  public static final String CORRELATION_ID = "corebus-correlation-id";

  /** The same for every attempt of one call: the callee executes a call at most once per key. */
  public static final String IDEMPOTENCY_KEY = "corebus-idempotency-key";

  /** The gRPC full method name, {@code package.Service/Method}. */
  public static final String METHOD = "corebus-method";

  /**
   * When the caller stops waiting, as milliseconds since the Unix epoch (decimal). The callee drops
   * a request it picks up after this instant, and does not reply.
   */
  public static final String DEADLINE = "corebus-deadline";

  /** The calling plug-in's name (its Plugin resource). */
  public static final String CALLER = "corebus-caller";

  /**
   * The caller's Ed25519 signature over the call (see {@code CallSignature}), base64: proves that
   * {@link #CALLER} is not forged. Required by callees on a secured bus.
   */
  public static final String SIGNATURE = "corebus-signature";

  /** The calling runtime instance (pod name). */
  public static final String CALLER_INSTANCE = "corebus-caller-instance";

  /** The topic of the caller's reply slot. */
  public static final String REPLY_TO = "corebus-reply-to";

  /** The partition of the caller's reply slot (decimal). */
  public static final String REPLY_PARTITION = "corebus-reply-partition";

  /** 1 for the first attempt of a call, 2 for the first retry, ... (decimal). */
  public static final String ATTEMPT = "corebus-attempt";

  /** The gRPC status code of the reply as its number (decimal): 0 is OK. */
  public static final String STATUS = "corebus-status";

  /** The status description of an error reply. */
  public static final String STATUS_MESSAGE = "corebus-status-message";

  /** The plug-in that answered. */
  public static final String CALLEE = "corebus-callee";

  /** The version of the plug-in that answered. */
  public static final String CALLEE_VERSION = "corebus-callee-version";

  /** W3C trace context. */
  public static final String TRACEPARENT = "traceparent";

  public static final String TRACESTATE = "tracestate";

  public static final String EVENT_ID = "corebus-event-id";
  public static final String EVENT_TYPE = "corebus-event-type";

  /** The publishing plug-in's name. */
  public static final String EVENT_SOURCE = "corebus-event-source";

  /** When the event was published, milliseconds since the Unix epoch (decimal). */
  public static final String EVENT_TIME = "corebus-event-time";

  /** Why the last attempt to handle the event failed. */
  public static final String DEAD_LETTER_REASON = "corebus-dlq-reason";

  public static final String DEAD_LETTER_ATTEMPTS = "corebus-dlq-attempts";
  public static final String DEAD_LETTER_TOPIC = "corebus-dlq-topic";
  public static final String DEAD_LETTER_PARTITION = "corebus-dlq-partition";
  public static final String DEAD_LETTER_OFFSET = "corebus-dlq-offset";
}
