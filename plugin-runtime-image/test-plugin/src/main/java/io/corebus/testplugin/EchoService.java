package io.corebus.testplugin;

import com.google.protobuf.StringValue;
import io.corebus.plugin.CallInfo;
import io.grpc.BindableService;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * {@code corebus.test.Echo/Say}: a unary service written the way protoc's grpc-java output is
 * (protobuf marshallers, ServerCalls), without needing protoc in the build.
 *
 * <p>Inputs steer the outcome, for tests: {@code fail:CODE:text} answers with that gRPC status,
 * {@code throw:text} throws an IllegalStateException, {@code sleep:MILLIS} answers after a pause,
 * {@code count} answers with how many times {@code count} was executed, {@code once:ID} appends
 * {@code ID} as a line to the execution log (when the plug-in has one) before answering, so a test
 * can count how often each request ran across replicas and kills, {@code call-info} answers {@code
 * caller=<caller> key=<idempotency key>} from {@link CallInfo}, {@code version} answers the
 * plug-in's version; anything else is echoed as {@code echo: <input>}.
 */
public final class EchoService implements BindableService {
  public static final String SERVICE = "corebus.test.Echo";

  public static final MethodDescriptor<StringValue, StringValue> SAY =
      MethodDescriptor.<StringValue, StringValue>newBuilder()
          .setType(MethodDescriptor.MethodType.UNARY)
          .setFullMethodName(MethodDescriptor.generateFullMethodName(SERVICE, "Say"))
          .setRequestMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
          .setResponseMarshaller(ProtoUtils.marshaller(StringValue.getDefaultInstance()))
          .build();

  private final AtomicInteger counted = new AtomicInteger();
  private final ExecutionLog executions;
  private final String version;

  public EchoService() {
    this(null);
  }

  /** With a log of {@code once:} executions, or null for none. */
  public EchoService(ExecutionLog executions) {
    this(executions, EchoPlugin.VERSION);
  }

  /** With a log of {@code once:} executions (or null) and the version {@code version} answers. */
  public EchoService(ExecutionLog executions, String version) {
    this.executions = executions;
    this.version = version;
  }

  @Override
  public ServerServiceDefinition bindService() {
    return ServerServiceDefinition.builder(SERVICE)
        .addMethod(SAY, ServerCalls.asyncUnaryCall(this::say))
        .build();
  }

  private void say(StringValue request, StreamObserver<StringValue> response) {
    String in = request.getValue();
    if (in.startsWith("fail:")) {
      String[] parts = in.split(":", 3);
      response.onError(
          Status.fromCodeValue(Integer.parseInt(parts[1]))
              .withDescription(parts.length > 2 ? parts[2] : null)
              .asRuntimeException());
      return;
    }
    if (in.startsWith("throw:")) {
      throw new IllegalStateException(in.substring(6));
    }
    if (in.startsWith("sleep:")) {
      try {
        Thread.sleep(Long.parseLong(in.substring(6)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    if (in.startsWith("once:") && executions != null) {
      executions.record(in.substring(5));
    }
    if (in.equals("version")) {
      response.onNext(StringValue.of(version));
      response.onCompleted();
      return;
    }
    if (in.equals("call-info")) {
      response.onNext(
          StringValue.of(
              "caller="
                  + CallInfo.caller().orElse("-")
                  + " key="
                  + CallInfo.idempotencyKey().orElse("-")));
      response.onCompleted();
      return;
    }
    String out = in.equals("count") ? Integer.toString(counted.incrementAndGet()) : "echo: " + in;
    response.onNext(StringValue.of(out));
    response.onCompleted();
  }
}
