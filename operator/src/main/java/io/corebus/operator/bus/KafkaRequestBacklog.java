package io.corebus.operator.bus;

import io.corebus.bus.protocol.BusTopics;
import io.corebus.bus.protocol.RequestTopics;
import io.corebus.crds.Plugin;
import io.corebus.crds.ProvidedService;
import io.corebus.operator.model.PluginPods;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsResult.ListOffsetsResultInfo;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.GroupIdNotFoundException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.jboss.logging.Logger;

/**
 * {@link RequestBacklog} with the Kafka Admin client: end offsets of the request topics minus the
 * committed offsets of the plug-in's request group, plus the same for the event topics it
 * subscribes to and its event group (the earliest offset where a group has none, where a new group
 * starts); four Admin requests per kind of topic.
 */
public final class KafkaRequestBacklog implements RequestBacklog {
  private static final Logger LOG = Logger.getLogger(KafkaRequestBacklog.class);

  private final BusAdmin bus;

  public KafkaRequestBacklog(BusAdmin bus) {
    this.bus = bus;
  }

  @Override
  public Optional<Backlog> of(Plugin plugin) {
    List<String> requests = requestTopics(plugin);
    List<String> events = eventTopics(plugin);
    if (requests.isEmpty() && events.isEmpty()) {
      return Optional.of(new Backlog(0, 0));
    }
    BusTopics names = BusTopics.forNamespace(plugin.getMetadata().getNamespace());
    String name = plugin.getMetadata().getName();
    try {
      return bus.call(
          "request-backlog",
          admin -> {
            Waiting r = measure(admin, requests, names.requestGroup(name));
            Waiting e = measure(admin, events, names.eventGroup(name));
            return Optional.of(new Backlog(r.records() + e.records(), r.partitions()));
          });
    } catch (KafkaUnavailableException | IllegalStateException e) {
      LOG.debugf("%s: request backlog unknown: %s", name, e.getMessage());
      return Optional.empty();
    }
  }

  @Override
  public Optional<Long> waitingOn(Plugin plugin, List<String> requestTopics) {
    if (requestTopics.isEmpty()) {
      return Optional.of(0L);
    }
    BusTopics names = BusTopics.forNamespace(plugin.getMetadata().getNamespace());
    String group = names.requestGroup(plugin.getMetadata().getName());
    try {
      return bus.call(
          "lane-backlog",
          admin -> Optional.of(measure(admin, List.copyOf(requestTopics), group).records()));
    } catch (KafkaUnavailableException | IllegalStateException e) {
      LOG.debugf(
          "%s: backlog of %s unknown: %s",
          plugin.getMetadata().getName(), requestTopics, e.getMessage());
      return Optional.empty();
    }
  }

  /** Records past a group's committed offsets, and the partitions of the largest topic. */
  private record Waiting(long records, int partitions) {}

  static List<String> eventTopics(Plugin plugin) {
    if (plugin.getSpec() == null || plugin.getSpec().getSubscribes() == null) {
      return List.of();
    }
    BusTopics names = BusTopics.forNamespace(plugin.getMetadata().getNamespace());
    return plugin.getSpec().getSubscribes().stream()
        .filter(Objects::nonNull)
        .map(names::events)
        .distinct()
        .sorted()
        .toList();
  }

  static List<String> requestTopics(Plugin plugin) {
    if (plugin.getSpec() == null || plugin.getSpec().getProvides() == null) {
      return List.of();
    }
    BusTopics names = BusTopics.forNamespace(plugin.getMetadata().getNamespace());
    RequestTopics topics = PluginPods.requestTopics(plugin);
    boolean secondLane = TopicPlan.usesSecondLane(plugin.getSpec());
    return plugin.getSpec().getProvides().stream()
        .map(ProvidedService::getService)
        .filter(Objects::nonNull)
        // A Canary plug-in's requests may wait on either lane.
        .flatMap(
            s ->
                secondLane
                    ? java.util.stream.Stream.of(
                        topics.topicOf(s, names), names.alternateRequests(s))
                    : java.util.stream.Stream.of(topics.topicOf(s, names)))
        .distinct()
        .sorted()
        .toList();
  }

  private Waiting measure(Admin admin, List<String> topics, String group)
      throws ExecutionException, InterruptedException {
    if (topics.isEmpty()) {
      return new Waiting(0, 0);
    }
    Map<String, TopicDescription> described;
    try {
      described = bus.await(admin.describeTopics(topics).allTopicNames());
    } catch (ExecutionException e) {
      if (e.getCause() instanceof UnknownTopicOrPartitionException) {
        throw new IllegalStateException("topics not created yet");
      }
      throw e;
    }
    Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
    Map<TopicPartition, OffsetSpec> earliest = new HashMap<>();
    int partitions = 0;
    for (Map.Entry<String, TopicDescription> e : described.entrySet()) {
      partitions = Math.max(partitions, e.getValue().partitions().size());
      for (var p : e.getValue().partitions()) {
        TopicPartition tp = new TopicPartition(e.getKey(), p.partition());
        latest.put(tp, OffsetSpec.latest());
        earliest.put(tp, OffsetSpec.earliest());
      }
    }
    Map<TopicPartition, OffsetAndMetadata> committed;
    try {
      committed = bus.await(admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata());
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof GroupIdNotFoundException)) {
        throw e;
      }
      committed = Map.of();
    }
    Map<TopicPartition, ListOffsetsResultInfo> ends = bus.await(admin.listOffsets(latest).all());
    Map<TopicPartition, ListOffsetsResultInfo> starts =
        bus.await(admin.listOffsets(earliest).all());
    long waiting = 0;
    for (TopicPartition tp : latest.keySet()) {
      long end = ends.get(tp).offset();
      long start = starts.get(tp).offset();
      OffsetAndMetadata c = committed == null ? null : committed.get(tp);
      long position = c == null ? start : Math.max(start, c.offset());
      waiting += Math.max(0, end - position);
    }
    return new Waiting(waiting, partitions);
  }
}
