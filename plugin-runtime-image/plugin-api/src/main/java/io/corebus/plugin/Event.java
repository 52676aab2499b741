package io.corebus.plugin;

import java.time.Instant;

/**
 * One event as delivered to a subscriber.
 *
 * @param type the event type it was published to
 * @param id unique per published event; a redelivery after a crash carries the same id
 * @param source the name of the plug-in that published it
 * @param time when it was published
 * @param payload the bytes the publisher passed (for protobuf events, parse them with the message's
 *     parser)
 */
public record Event(String type, String id, String source, Instant time, byte[] payload) {}
