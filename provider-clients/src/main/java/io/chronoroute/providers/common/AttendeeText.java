package io.chronoroute.providers.common;

import io.chronoroute.processors.model.Attendee;
import io.chronoroute.processors.model.CalendarEvent;

import java.util.ArrayList;
import java.util.List;

/**
 * Destinations never write attendees as attendees (no invitations, ever). With {@code attendees=description} the
 * organizer and participants are kept readable in the description instead; this builds that text, the same for
 * every writer.
 */
public final class AttendeeText {

    private AttendeeText() {
    }

    /** The event's description, followed by "Organizer: ..." and "Participants: ..." lines when asked for. */
    public static String description(CalendarEvent e, boolean attendeesInDescription) {
        if (!attendeesInDescription || (e.attendees().isEmpty() && e.organizer() == null)) {
            return e.description();
        }
        StringBuilder sb = new StringBuilder(e.description() == null ? "" : e.description());
        if (sb.length() > 0) {
            sb.append("\n\n");
        }
        if (e.organizer() != null) {
            sb.append("Organizer: ").append(person(e.organizer().name(), e.organizer().email())).append('\n');
        }
        if (!e.attendees().isEmpty()) {
            List<String> names = new ArrayList<>();
            for (Attendee a : e.attendees()) {
                names.add(person(a.name(), a.email()));
            }
            sb.append("Participants: ").append(String.join(", ", names)).append('\n');
        }
        return sb.toString().stripTrailing();
    }

    /**
     * {@code description} as edited in a destination, without the organizer/participants text that
     * {@link #description} appended for {@code e} (when it still ends with exactly that text); else unchanged.
     */
    public static String withoutAttendeeText(String description, CalendarEvent e, boolean attendeesInDescription) {
        if (description == null) {
            return null;
        }
        String full = description(e, attendeesInDescription);
        String base = e.description() == null ? "" : e.description();
        if (full == null || !full.startsWith(base) || full.length() == base.length()) {
            return description;
        }
        String suffix = full.substring(base.length());
        if (!description.endsWith(suffix)) {
            return description;
        }
        String rest = description.substring(0, description.length() - suffix.length());
        return rest.isEmpty() ? null : rest;
    }

    static String person(String name, String email) {
        if (name == null || name.isBlank()) {
            return email == null ? "?" : email;
        }
        return email == null ? name : name + " <" + email + ">";
    }
}
