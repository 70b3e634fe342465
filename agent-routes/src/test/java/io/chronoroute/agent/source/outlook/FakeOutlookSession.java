package io.chronoroute.agent.source.outlook;

import io.chronoroute.processors.zone.WindowsZones;

import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Outlook for Windows as {@link OutlookSession} sees it, in memory, for the source tests: calendar folders of items
 * held as property sets (the recorded ones of {@code src/test/resources/outlook} or what the source saved), with the
 * behaviour the object model documents and the source relies on: {@code LastModificationTime} advances on every
 * save (an occurrence's change saves its series), {@code Save} of {@code StartUTC} sets the local {@code Start},
 * setting a recurrence pattern drops the series' exceptions, {@code GetOccurrence} finds only an occurrence at the
 * series' local start time on a day of its pattern, only object-model property names can be set, and there is no
 * Send. {@link #failing} makes every call fail as a dead COM server does.
 */
final class FakeOutlookSession implements OutlookSession {

    static final String LOCAL = "W. Europe Standard Time";
    static final Set<String> WRITABLE = Set.of("Subject", "Body", "Location", "AllDayEvent", "Start", "End",
            "StartUTC", "EndUTC", "StartTimeZone", "EndTimeZone", "BusyStatus", "Sensitivity", "Categories",
            "RecurrencePattern", OutlookItemMapper.UID_PROPERTY);

    private final ZoneId local = ZoneId.of(WindowsZones.toIana(LOCAL).orElseThrow());
    final Map<String, Folder> folders = new LinkedHashMap<>();
    /** Folder EntryID → (item EntryID → property set). */
    final Map<String, Map<String, Map<String, Object>>> items = new LinkedHashMap<>();
    final List<String> journal = new ArrayList<>();
    final AtomicInteger itemReads = new AtomicInteger();
    volatile boolean failing;
    private LocalDateTime clock = LocalDateTime.parse("2026-01-15T12:00:00");
    private int ids;

    FakeOutlookSession folder(String entryId, String name, boolean isDefault) {
        folders.put(entryId, new Folder(entryId, name, "\\\\alice@example.org\\" + name, 0, isDefault));
        items.put(entryId, new LinkedHashMap<>());
        return this;
    }

    // ------------------------------------------------------------------ what a person does in Outlook

    String userAdd(String folder, Map<String, Object> recorded) {
        Map<String, Object> p = copy(recorded);
        String id = p.containsKey("EntryID") ? p.get("EntryID").toString() : newId();
        p.put("EntryID", id);
        items.get(folder).put(id, p);
        return id;
    }

    void userEdit(String entryId, String name, Object value) {
        Map<String, Object> p = find(entryId);
        p.put(name, value);
        touch(p);
    }

    /** A person changes a modified occurrence: the exception changes and its series is saved. */
    @SuppressWarnings("unchecked")
    void userEditOccurrence(String entryId, LocalDateTime original, String name, Object value) {
        Map<String, Object> master = find(entryId);
        for (Map<String, Object> x : OutlookValues.list(OutlookValues.map(master, "RecurrencePattern"),
                "Exceptions")) {
            if (original.equals(OutlookValues.date(x, "OriginalDate"))) {
                ((Map<String, Object>) x.get("AppointmentItem")).put(name, value);
            }
        }
        touch(master);
    }

    void userDelete(String entryId) {
        items.values().forEach(m -> m.remove(entryId));
    }

    // ------------------------------------------------------------------ the session

    private void check() throws OutlookException {
        if (failing) {
            throw new OutlookException("COM: The RPC server is unavailable. (0x800706BA)", false);
        }
    }

    @Override
    public synchronized String localTimeZone() throws OutlookException {
        check();
        return LOCAL;
    }

    @Override
    public synchronized List<Folder> calendars() throws OutlookException {
        check();
        List<Folder> out = new ArrayList<>();
        folders.values().stream().filter(Folder::isDefault).forEach(f -> out.add(counted(f)));
        folders.values().stream().filter(f -> !f.isDefault()).forEach(f -> out.add(counted(f)));
        return out;
    }

    private Folder counted(Folder f) {
        return new Folder(f.entryId(), f.name(), f.path(), items.get(f.entryId()).size(), f.isDefault());
    }

    @Override
    public synchronized List<Stamp> list(String folderEntryId) throws OutlookException {
        check();
        Map<String, Map<String, Object>> in = items.get(folderEntryId);
        if (in == null) {
            throw new OutlookException("COM: The operation failed. An object could not be found.", true);
        }
        List<Stamp> out = new ArrayList<>();
        in.forEach((id, p) -> out.add(new Stamp(id, OutlookValues.date(p, "LastModificationTime"))));
        return out;
    }

    @Override
    public synchronized Map<String, Object> item(String entryId) throws OutlookException {
        check();
        itemReads.incrementAndGet();
        Map<String, Object> p = find(entryId);
        return p == null ? null : copy(p);
    }

    @Override
    public synchronized String save(String folderEntryId, String entryId, Map<String, Object> properties)
            throws OutlookException {
        check();
        Map<String, Object> p;
        if (entryId == null) {
            p = new LinkedHashMap<>();
            String id = newId();
            p.put("EntryID", id);
            p.put("GlobalAppointmentID", "040000008200E00074C5B7101A82E008" + HexFormat.of().formatHex(id.getBytes())
                    .toUpperCase());
            p.put("IsRecurring", false);
            p.put("CreationTime", clock.toString());
            items.get(folderEntryId).put(id, p);
            journal.add("Items.Add " + id);
        } else {
            p = find(entryId);
            if (p == null) {
                throw new OutlookException("COM: the item no longer exists in Outlook", true);
            }
        }
        apply(p, properties, true);
        touch(p);
        journal.add("Save " + p.get("EntryID") + " " + properties.keySet());
        return p.get("EntryID").toString();
    }

    @SuppressWarnings("unchecked")
    private void apply(Map<String, Object> p, Map<String, Object> properties, boolean master) throws OutlookException {
        for (Map.Entry<String, Object> e : properties.entrySet()) {
            String name = e.getKey();
            Object v = e.getValue();
            if (!WRITABLE.contains(name)) {
                throw new OutlookException("COM: the object model has no writable property " + name, true);
            }
            switch (name) {
                case "StartUTC", "EndUTC" -> {
                    LocalDateTime utc = (LocalDateTime) v;
                    p.put(name, utc.toString());
                    p.put(name.replace("UTC", ""), utc.atOffset(ZoneOffset.UTC).atZoneSameInstant(local)
                            .toLocalDateTime().toString());
                }
                case "Start", "End" -> {
                    LocalDateTime l = (LocalDateTime) v;
                    p.put(name, l.toString());
                    p.put(name + "UTC", l.atZone(local).withZoneSameInstant(ZoneOffset.UTC).toLocalDateTime()
                            .toString());
                }
                case "RecurrencePattern" -> {
                    if (!master) {
                        throw new OutlookException("COM: an occurrence has no recurrence pattern", true);
                    }
                    if (v instanceof Map<?, ?> m) {
                        Map<String, Object> pattern = new LinkedHashMap<>();
                        ((Map<String, Object>) m).forEach((k, x) -> pattern.put(k, x instanceof LocalDateTime t
                                ? t.toString() : x));
                        pattern.put("Exceptions", new ArrayList<>()); // a new pattern drops the exceptions
                        p.put("RecurrencePattern", pattern);
                        p.put("IsRecurring", true);
                        journal.add("pattern set");
                    } else {
                        p.remove("RecurrencePattern");
                        p.put("IsRecurring", false);
                    }
                }
                default -> p.put(name, v instanceof LocalDateTime t ? t.toString() : v);
            }
        }
    }

    @Override
    public synchronized void saveOccurrence(String entryId, LocalDateTime originalStartLocal,
                                            Map<String, Object> properties) throws OutlookException {
        check();
        Map<String, Object> master = find(entryId);
        List<Map<String, Object>> exceptions = exceptions(master, originalStartLocal);
        Map<String, Object> ex = null;
        for (Map<String, Object> x : exceptions) {
            if (originalStartLocal.equals(OutlookValues.date(x, "OriginalDate"))) {
                ex = x;
            }
        }
        if (ex == null) {
            ex = new LinkedHashMap<>();
            ex.put("OriginalDate", originalStartLocal.toString());
            ex.put("Deleted", false);
            Map<String, Object> occ = copy(master);
            occ.remove("RecurrencePattern");
            occ.put("IsRecurring", false);
            ex.put("AppointmentItem", occ);
            exceptions.add(ex);
        }
        @SuppressWarnings("unchecked")
        Map<String, Object> occ = (Map<String, Object>) ex.get("AppointmentItem");
        apply(occ, properties, false);
        touch(master);
        journal.add("Save occurrence " + originalStartLocal);
    }

    @Override
    public synchronized void deleteOccurrence(String entryId, LocalDateTime originalStartLocal)
            throws OutlookException {
        check();
        Map<String, Object> master = find(entryId);
        List<Map<String, Object>> exceptions = exceptions(master, originalStartLocal);
        exceptions.removeIf(x -> originalStartLocal.equals(OutlookValues.date(x, "OriginalDate")));
        Map<String, Object> ex = new LinkedHashMap<>();
        ex.put("OriginalDate", originalStartLocal.toString());
        ex.put("Deleted", true);
        exceptions.add(ex);
        touch(master);
        journal.add("Delete occurrence " + originalStartLocal);
    }

    /** The series' exceptions, after checking that GetOccurrence would find an occurrence there. */
    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> exceptions(Map<String, Object> master, LocalDateTime original)
            throws OutlookException {
        Map<String, Object> pattern = master == null ? null : OutlookValues.map(master, "RecurrencePattern");
        if (pattern == null) {
            throw new OutlookException("COM: the item is not a series", true);
        }
        LocalDateTime start = OutlookValues.date(master, "Start");
        Integer mask = OutlookValues.integer(pattern, "DayOfWeekMask");
        boolean onDay = mask == null || mask == 0 || (mask & bit(original.getDayOfWeek())) != 0;
        if (!original.toLocalTime().equals(start.toLocalTime()) || !onDay || original.isBefore(start)) {
            throw new OutlookException("COM: You cannot find an occurrence at " + original, true);
        }
        Object list = pattern.get("Exceptions");
        if (!(list instanceof List<?>)) {
            pattern.put("Exceptions", new ArrayList<>());
        }
        return (List<Map<String, Object>>) pattern.get("Exceptions");
    }

    private static int bit(DayOfWeek d) {
        return d == DayOfWeek.SUNDAY ? 1 : 1 << d.getValue();
    }

    @Override
    public synchronized void delete(String entryId) throws OutlookException {
        check();
        userDelete(entryId);
        journal.add("Delete " + entryId);
    }

    @Override
    public synchronized void renameFolder(String folderEntryId, String name) throws OutlookException {
        check();
        Folder f = folders.get(folderEntryId);
        folders.put(folderEntryId, new Folder(f.entryId(), name, f.path(), f.itemCount(), f.isDefault()));
        journal.add("Rename " + name);
    }

    @Override
    public void close() {
        journal.add("close");
    }

    // ------------------------------------------------------------------ helpers

    Map<String, Object> find(String entryId) {
        for (Map<String, Map<String, Object>> m : items.values()) {
            if (m.containsKey(entryId)) {
                return m.get(entryId);
            }
        }
        return null;
    }

    private void touch(Map<String, Object> p) {
        clock = clock.plusSeconds(1);
        p.put("LastModificationTime", clock.toString());
    }

    private String newId() {
        return String.format("00000000FAKE%040d", ++ids);
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> copy(Map<String, Object> in) {
        Map<String, Object> out = new LinkedHashMap<>();
        in.forEach((k, v) -> {
            if (v instanceof Map<?, ?> m) {
                out.put(k, copy((Map<String, Object>) m));
            } else if (v instanceof List<?> l) {
                List<Object> c = new ArrayList<>();
                l.forEach(x -> c.add(x instanceof Map<?, ?> m ? copy((Map<String, Object>) m) : x));
                out.put(k, c);
            } else {
                out.put(k, v);
            }
        });
        return out;
    }
}
