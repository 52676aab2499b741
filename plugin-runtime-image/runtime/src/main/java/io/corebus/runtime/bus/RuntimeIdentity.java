package io.corebus.runtime.bus;

/**
 * Who this runtime is on the bus: the plug-in (caller identity), the instance (reply slot), the
 * plug-in's version.
 */
public record RuntimeIdentity(String namespace, String plugin, String instance, String version) {}
