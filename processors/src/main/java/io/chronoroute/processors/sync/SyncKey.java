package io.chronoroute.processors.sync;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The identity of one event occurrence record as one source sees it: (agent, source, UID, RECURRENCE-ID).
 * {@link #value()} is a 32-hex-digit SHA-256 prefix of the canonical identity: stable across runs, JVMs and
 * machines, safe in URLs, Redis keys and file names. A different agent or source gives a different key for the
 * same UID; cross-source de-duplication uses {@link #identityOf(CalendarEvent)} instead.
 */
public record SyncKey(String agentId, String source, String uid, String recurrenceId) {

    public SyncKey {
        Objects.requireNonNull(agentId, "agentId");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(uid, "uid");
    }

    public static SyncKey of(String agentId, CalendarEvent e) {
        return new SyncKey(agentId, e.origin() == null || e.origin().source() == null ? "" : e.origin().source(),
                e.uid(), ridText(e.recurrenceId()));
    }

    public static String ridText(EventTime rid) {
        return rid == null ? null : rid.canonical();
    }

    /** Canonical text form: fields joined by U+001F, a character that cannot occur in a UID. */
    public String canonical() {
        return agentId + '\u001f' + source + '\u001f' + uid + '\u001f' + (recurrenceId == null ? "" : recurrenceId);
    }

    public String value() {
        return sha256Hex(canonical()).substring(0, 32);
    }

    /**
     * The consolidation identity of an event across all agents and sources: iCalendar UID plus RECURRENCE-ID.
     * Two sources that see the same meeting (same UID) map to the same consolidated event.
     */
    public static String identityOf(CalendarEvent e) {
        String rid = ridText(e.recurrenceId());
        return sha256Hex("uid\u001f" + e.uid() + '\u001f' + (rid == null ? "" : rid)).substring(0, 32);
    }

    static String sha256Hex(String s) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException ex) {
            throw new IllegalStateException(ex);
        }
    }

    @Override
    public String toString() {
        return value() + "(" + agentId + "/" + source + "/" + uid + (recurrenceId == null ? "" : "/" + recurrenceId) + ")";
    }
}
