package io.chronoroute.testsupport.google;

/**
 * One accepted write, with the notification choice the client made.
 *
 * @param operation {@code events.insert}, {@code events.import}, {@code events.update}, {@code events.patch} or
 *     {@code events.delete}
 * @param sendUpdates the {@code sendUpdates} query parameter as sent, or null when absent (import has none)
 */
public record GoogleWrite(String operation, String calendarId, String eventId, String sendUpdates) {
}
