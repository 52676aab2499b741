package io.corebus.runtime.host;

import io.grpc.ForwardingServerCall;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Direct (hybrid) calls of one loaded version: each is counted in the version while it runs, so a
 * hot swap waits for it before stopping the version, and its handler runs with the version's class
 * loader as the context class loader. A call that reaches a version already retired (it picked the
 * old implementation just before the swap switched) is refused as UNAVAILABLE, which callers retry.
 */
final class VersionCalls implements ServerInterceptor {
  private final LoadedPlugin version;

  VersionCalls(LoadedPlugin version) {
    this.version = version;
  }

  @Override
  public <ReqT, RespT> ServerCall.Listener<ReqT> interceptCall(
      ServerCall<ReqT, RespT> call, Metadata headers, ServerCallHandler<ReqT, RespT> next) {
    if (!version.enter()) {
      call.close(
          Status.UNAVAILABLE.withDescription(
              "version " + version.identity.version() + " was just replaced; retry"),
          new Metadata());
      return new ServerCall.Listener<>() {};
    }
    AtomicBoolean done = new AtomicBoolean();
    Runnable exit =
        () -> {
          if (done.compareAndSet(false, true)) {
            version.exit();
          }
        };
    ServerCall<ReqT, RespT> counted =
        new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
          @Override
          public void close(Status status, Metadata trailers) {
            try {
              super.close(status, trailers);
            } finally {
              exit.run();
            }
          }
        };
    ServerCall.Listener<ReqT> listener;
    try {
      listener = inLoader(() -> next.startCall(counted, headers));
    } catch (RuntimeException e) {
      exit.run();
      throw e;
    }
    return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(listener) {
      @Override
      public void onMessage(ReqT message) {
        inLoader(() -> super.onMessage(message));
      }

      @Override
      public void onHalfClose() {
        inLoader(super::onHalfClose);
      }

      @Override
      public void onCancel() {
        try {
          inLoader(super::onCancel);
        } finally {
          exit.run();
        }
      }

      @Override
      public void onComplete() {
        try {
          inLoader(super::onComplete);
        } finally {
          exit.run();
        }
      }
    };
  }

  private void inLoader(Runnable work) {
    inLoader(
        () -> {
          work.run();
          return null;
        });
  }

  private <T> T inLoader(java.util.function.Supplier<T> work) {
    Thread t = Thread.currentThread();
    ClassLoader previous = t.getContextClassLoader();
    t.setContextClassLoader(version.loader);
    try {
      return work.get();
    } finally {
      t.setContextClassLoader(previous);
    }
  }
}
