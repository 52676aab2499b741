package io.corebus.runtime.bus;

import io.corebus.bus.protocol.Endpoint;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.jboss.logging.Logger;

/**
 * One gRPC channel per direct endpoint of hybrid routes, created on first use and kept (a channel
 * holds a connection and reconnects by itself). Channels to endpoints that no route names any more
 * are shut down gracefully: calls already on them finish.
 */
public final class DirectChannels implements AutoCloseable {
  private static final Logger LOG = Logger.getLogger(DirectChannels.class);

  private final Map<Endpoint, ManagedChannel> channels = new ConcurrentHashMap<>();
  private volatile boolean closed;

  ManagedChannel channel(Endpoint endpoint) {
    if (closed) {
      throw new IllegalStateException("direct channels are closed");
    }
    return channels.computeIfAbsent(
        endpoint,
        e -> {
          LOG.debugf("opening a direct channel to %s", e);
          return Grpc.newChannelBuilderForAddress(
                  e.host(), e.port(), InsecureChannelCredentials.create())
              .build();
        });
  }

  /** Shuts down the channels of endpoints not in {@code routed}. */
  public void retainOnly(Set<Endpoint> routed) {
    channels
        .keySet()
        .removeIf(
            e -> {
              if (routed.contains(e)) {
                return false;
              }
              ManagedChannel c = channels.get(e);
              if (c != null) {
                LOG.debugf("closing the direct channel to %s: no route names it", e);
                c.shutdown();
              }
              return true;
            });
  }

  int size() {
    return channels.size();
  }

  @Override
  public void close() {
    closed = true;
    channels.values().forEach(ManagedChannel::shutdownNow);
    channels.clear();
  }
}
