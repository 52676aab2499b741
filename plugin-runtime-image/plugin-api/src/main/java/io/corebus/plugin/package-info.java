/**
 * The Corebus plug-in SDK: implement {@link io.corebus.plugin.Plugin}, use the {@link
 * io.corebus.plugin.PluginContext} the runtime passes to {@code start}.
 *
 * <h2>Packaging</h2>
 *
 * A plug-in is a jar with a {@code META-INF/services/io.corebus.plugin.Plugin} file naming its
 * Plugin class. Depend on this SDK, {@code io.grpc:*} and {@code com.google.protobuf:*} with scope
 * {@code provided}: the runtime shares its own copies of the packages {@code io.corebus.plugin},
 * {@code io.grpc}, {@code com.google.protobuf} and {@code org.slf4j} with the plug-in. Everything
 * else the jar contains (or a fat jar bundles) is loaded from the jar first, so a plug-in's
 * libraries never clash with the runtime's.
 *
 * <h2>Errors</h2>
 *
 * Calls through {@link io.corebus.plugin.PluginContext#channel()} fail with {@link
 * io.grpc.StatusRuntimeException}, whatever the transport. The codes a caller should expect:
 *
 * <ul>
 *   <li>{@code NOT_FOUND}: no plug-in provides the service;
 *   <li>{@code UNIMPLEMENTED}: the providing plug-in does not implement the method;
 *   <li>{@code UNAVAILABLE}: the bus or the callee cannot take the call now. Retried by the runtime
 *       a bounded number of times with the same idempotency key, so the callee executes a call at
 *       most once even when it is retried;
 *   <li>{@code DEADLINE_EXCEEDED}: no reply before the call's deadline. The callee drops requests
 *       whose deadline passed before it got to them;
 *   <li>{@code PERMISSION_DENIED}: the callee's Plugin does not list the caller in {@code
 *       allowedCallers};
 *   <li>any other code: an application error, exactly as the callee's handler raised it (with
 *       {@code Status.X.withDescription(..).asRuntimeException()} or {@code
 *       responseObserver.onError}). A handler that throws anything else yields {@code UNKNOWN} with
 *       the exception's class and message as the description.
 * </ul>
 */
package io.corebus.plugin;
