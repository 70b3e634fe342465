package io.chronoroute.agent;

/** Builds small iCalendar texts for tests. */
public final class Ics {

    private Ics() {
    }

    public static String vevent(String uid, String title, String startUtc) {
        return "BEGIN:VEVENT\r\n"
                + "UID:" + uid + "\r\n"
                + "DTSTAMP:20250601T000000Z\r\n"
                + "DTSTART:" + startUtc + "\r\n"
                + "DURATION:PT1H\r\n"
                + "SUMMARY:" + title + "\r\n"
                + "END:VEVENT\r\n";
    }

    public static String calendar(String... vevents) {
        return "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//Chronoroute tests//EN\r\n" + String.join("", vevents)
                + "END:VCALENDAR\r\n";
    }

    public static final String BROKEN = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VEVENT\r\nUID:broken\r\nDTSTART:not-a-date\r\n";
}
