package io.corebus.samples.shop.inventory;

import io.corebus.plugin.PluginMetrics;
import io.corebus.samples.shop.inventory.api.InventoryServiceGrpc;
import io.corebus.samples.shop.inventory.api.Item;
import io.corebus.samples.shop.inventory.api.ReleaseReply;
import io.corebus.samples.shop.inventory.api.ReserveReply;
import io.corebus.samples.shop.inventory.api.ReserveRequest;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code shop.inventory.InventoryService}: {@code INVALID_ARGUMENT} for a malformed request, {@code
 * RESOURCE_EXHAUSTED} when an item is out of stock.
 */
final class InventoryService extends InventoryServiceGrpc.InventoryServiceImplBase {
  private final Stock stock;
  private final PluginMetrics metrics;

  InventoryService(Stock stock, PluginMetrics metrics) {
    this.stock = stock;
    this.metrics = metrics;
  }

  @Override
  public void reserve(ReserveRequest request, StreamObserver<ReserveReply> reply) {
    try {
      Map<String, Long> remaining = stock.reserve(quantities(request));
      metrics.counter("reservations", "outcome", "reserved").increment();
      ReserveReply.Builder answer = ReserveReply.newBuilder();
      remaining.forEach(answer::putRemaining);
      reply.onNext(answer.build());
      reply.onCompleted();
    } catch (Stock.OutOfStockException e) {
      metrics.counter("reservations", "outcome", "out_of_stock").increment();
      reply.onError(
          Status.RESOURCE_EXHAUSTED
              .withDescription("out of stock: " + e.getMessage())
              .asRuntimeException());
    } catch (StatusRuntimeException e) {
      metrics.counter("reservations", "outcome", "invalid").increment();
      reply.onError(e);
    }
  }

  @Override
  public void release(ReserveRequest request, StreamObserver<ReleaseReply> reply) {
    try {
      stock.release(quantities(request));
      metrics.counter("releases").increment();
      reply.onNext(ReleaseReply.getDefaultInstance());
      reply.onCompleted();
    } catch (StatusRuntimeException e) {
      reply.onError(e);
    }
  }

  /** Quantity per SKU, a SKU listed twice added up; INVALID_ARGUMENT for a malformed request. */
  private static Map<String, Long> quantities(ReserveRequest request) {
    if (request.getItemsCount() == 0) {
      throw invalid("a reservation needs at least one item");
    }
    Map<String, Long> wanted = new TreeMap<>();
    for (Item item : request.getItemsList()) {
      if (item.getSku().isBlank()) {
        throw invalid("every item needs a sku");
      }
      if (item.getQuantity() <= 0) {
        throw invalid(
            "quantity of " + item.getSku() + " must be positive, got " + item.getQuantity());
      }
      wanted.merge(item.getSku(), (long) item.getQuantity(), Long::sum);
    }
    return wanted;
  }

  private static StatusRuntimeException invalid(String description) {
    return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
  }
}
