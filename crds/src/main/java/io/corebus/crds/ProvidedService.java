package io.corebus.crds;

import com.fasterxml.jackson.annotation.JsonPropertyDescription;
import io.fabric8.generator.annotation.Default;
import io.fabric8.generator.annotation.Pattern;
import io.fabric8.generator.annotation.Required;
import java.util.ArrayList;
import java.util.List;

/** A gRPC service that a plug-in implements. */
public class ProvidedService {

  @Required
  @Pattern(PluginSpec.SERVICE_NAME_PATTERN)
  @JsonPropertyDescription("The service's full protobuf name, such as shop.payment.PaymentService.")
  private String service;

  @Default("bus")
  @JsonPropertyDescription(
      "How callers reach this service: bus (requests travel as Kafka records, the default) or hybrid (direct gRPC to the plug-in's pods, for latency-critical routes).")
  private Transport transport = Transport.bus;

  @JsonPropertyDescription(
      "Names of the Plugins allowed to call this service. Empty means any Plugin in the namespace.")
  private List<@Pattern(PluginSpec.PLUGIN_NAME_PATTERN) String> allowedCallers = new ArrayList<>();

  public ProvidedService() {}

  public ProvidedService(String service) {
    this.service = service;
  }

  public String getService() {
    return service;
  }

  public void setService(String service) {
    this.service = service;
  }

  public Transport getTransport() {
    return transport;
  }

  public void setTransport(Transport transport) {
    this.transport = transport;
  }

  public List<String> getAllowedCallers() {
    return allowedCallers;
  }

  public void setAllowedCallers(List<String> allowedCallers) {
    this.allowedCallers = allowedCallers;
  }
}
