package io.corebus.runtime.bus;

import io.corebus.bus.protocol.BusPermissions;
import java.util.Collection;
import java.util.List;
import org.apache.kafka.common.acl.AccessControlEntry;
import org.apache.kafka.common.acl.AclBinding;
import org.apache.kafka.common.acl.AclOperation;
import org.apache.kafka.common.acl.AclPermissionType;
import org.apache.kafka.common.resource.PatternType;
import org.apache.kafka.common.resource.ResourcePattern;
import org.apache.kafka.common.resource.ResourceType;

/** BusPermissions grants as Kafka ACLs, for tests that stand in for the operator. */
final class AclBindings {
  private AclBindings() {}

  static List<AclBinding> of(Collection<BusPermissions.Grant> grants) {
    return grants.stream()
        .map(
            g ->
                new AclBinding(
                    new ResourcePattern(
                        ResourceType.valueOf(g.resourceType().name()),
                        g.name(),
                        PatternType.valueOf(g.patternType().name())),
                    new AccessControlEntry(
                        g.principal(),
                        "*",
                        AclOperation.valueOf(g.operation().name()),
                        AclPermissionType.ALLOW)))
        .toList();
  }
}
