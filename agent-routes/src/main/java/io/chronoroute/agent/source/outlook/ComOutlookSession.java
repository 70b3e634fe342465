package io.chronoroute.agent.source.outlook;

import com.sun.jna.Platform;
import com.sun.jna.platform.win32.COM.COMException;
import com.sun.jna.platform.win32.COM.COMInvokeException;
import com.sun.jna.platform.win32.COM.util.ComThread;
import com.sun.jna.platform.win32.COM.util.Factory;
import com.sun.jna.platform.win32.COM.util.IDispatch;
import com.sun.jna.platform.win32.COM.util.annotation.ComObject;
import com.sun.jna.platform.win32.OaIdl;
import com.sun.jna.platform.win32.Ole32;
import com.sun.jna.platform.win32.Variant;
import com.sun.jna.platform.win32.Variant.VARIANT;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@link OutlookSession} through COM automation with jna-platform ({@code com.sun.jna.platform.win32.COM.util}: late
 * binding over IDispatch; every call runs on the factory's own COM thread, so the agent's threads may share one
 * session). {@code Outlook.Application} (the running Outlook, or Outlook started by COM) →
 * {@code GetNamespace("MAPI")} → {@code GetDefaultFolder(olFolderCalendar)} and the calendar folders of every store.
 * <p>Dates cross as OLE dates (a day count since 1899-12-30 with the time as fraction, no zone) and are converted to
 * and from their wall-clock {@link LocalDateTime} here, exactly, without the JVM's zone (JNA's {@code java.util.Date}
 * conversion would apply it).
 * <p>Needs Outlook 2010 or later ({@code StartUTC}, {@code StartTimeZone}, {@code Application.TimeZones},
 * {@code Folder.GetTable}).
 * <p><b>Only runs on Windows with Outlook installed</b>: elsewhere {@link #open} fails with {@link #NEEDS_WINDOWS}.
 * This class compiles everywhere but was <b>not run against a real Outlook</b> (no Windows where it was written);
 * the {@code windows-outlook} Maven profile runs {@code OutlookComLiveIT} against one. Nothing here ever calls
 * {@code Send}: items are saved, meetings included, and nobody is notified.
 */
public final class ComOutlookSession implements OutlookSession {

    public static final String NEEDS_WINDOWS = "Outlook for Windows source needs Windows with Outlook installed";
    /** MAPI_E_NOT_FOUND: GetItemFromID of an item that no longer exists. */
    private static final int MAPI_E_NOT_FOUND = 0x8004010F;
    private static final LocalDateTime OLE_EPOCH = LocalDateTime.of(1899, 12, 30, 0, 0);
    private static final long DAY_MILLIS = 86_400_000L;
    /** The item properties read (besides zones, pattern and the UID user property). */
    static final List<String> ITEM_PROPERTIES = List.of("EntryID", "GlobalAppointmentID", "Subject", "Body",
            "Location", "AllDayEvent", "BusyStatus", "Sensitivity", "MeetingStatus", "Categories", "IsRecurring");
    static final List<String> ITEM_DATES = List.of("Start", "End", "StartUTC", "EndUTC", "CreationTime",
            "LastModificationTime");
    static final List<String> PATTERN_PROPERTIES = List.of("RecurrenceType", "Interval", "DayOfWeekMask",
            "DayOfMonth", "MonthOfYear", "Instance", "NoEndDate", "Occurrences");
    static final List<String> PATTERN_DATES = List.of("PatternStartDate", "PatternEndDate");
    private static final Set<String> DATES = Set.of("Start", "End", "StartUTC", "EndUTC", "PatternStartDate",
            "PatternEndDate", "OriginalDate", "CreationTime", "LastModificationTime");
    private static final Logger LOG = LoggerFactory.getLogger(ComOutlookSession.class);

    /** The Outlook application object, created by its ProgID. */
    @ComObject(progId = "Outlook.Application")
    public interface Application extends IDispatch {
    }

    private final Factory factory;
    private final IDispatch app;
    private final IDispatch ns;
    /**
     * StoreID of each folder and item seen: GetItemFromID and GetFolderFromID need it for an item outside the
     * default store (a PST, a shared or second mailbox).
     */
    private final Map<String, String> stores = new ConcurrentHashMap<>();

    private ComOutlookSession(Factory factory, IDispatch app, IDispatch ns) {
        this.factory = factory;
        this.app = app;
        this.ns = ns;
    }

    /** Connects to Outlook; fails with {@link #NEEDS_WINDOWS} on another OS or when Outlook is not installed. */
    public static OutlookSession open() throws OutlookException {
        if (!Platform.isWindows()) {
            throw new OutlookException(NEEDS_WINDOWS + " (this is " + System.getProperty("os.name") + ")", true);
        }
        Factory f = null;
        try {
            // one single-threaded apartment for all calls; a minute per call (Outlook may be starting, or busy
            // with a large store), instead of the default factory's five seconds
            f = new Factory(new ComThread("chronoroute-outlook-com", Duration.ofMinutes(1).toMillis(),
                    (t, e) -> LOG.warn("Outlook COM thread failed: {}", e.toString()), Ole32.COINIT_APARTMENTTHREADED));
            Application app = f.createObject(Application.class);
            IDispatch ns = app.invokeMethod(IDispatch.class, "GetNamespace", "MAPI");
            return new ComOutlookSession(f, app, ns);
        } catch (RuntimeException | UnsatisfiedLinkError e) {
            if (f != null) {
                dispose(f);
            }
            throw new OutlookException(NEEDS_WINDOWS + ": Outlook.Application cannot be started ("
                    + e.getMessage() + ")", false, e);
        }
    }

    @Override
    public String localTimeZone() throws OutlookException {
        return call(() -> get(get(app, "TimeZones"), "CurrentTimeZone").getProperty(String.class, "ID"));
    }

    @Override
    public List<Folder> calendars() throws OutlookException {
        return call(() -> {
            IDispatch def = ns.invokeMethod(IDispatch.class, "GetDefaultFolder", OL_FOLDER_CALENDAR);
            String defId = def.getProperty(String.class, "EntryID");
            List<Folder> out = new ArrayList<>();
            out.add(folder(def, true));
            IDispatch stores = get(ns, "Folders");
            int n = count(stores);
            for (int i = 1; i <= n; i++) {
                try {
                    walk(stores.invokeMethod(IDispatch.class, "Item", i), defId, out);
                } catch (COMException e) {
                    // a store that cannot be opened now (offline shared mailbox): its calendars are not listed
                    LOG.debug("Outlook store {} cannot be listed: {}", i, e.getMessage());
                }
            }
            return out;
        });
    }

    private void walk(IDispatch folder, String defId, List<Folder> out) {
        Integer type = folder.getProperty(Integer.class, "DefaultItemType");
        String id = folder.getProperty(String.class, "EntryID");
        if (type != null && type == OL_APPOINTMENT_ITEM && !id.equals(defId)) {
            out.add(folder(folder, false));
        }
        IDispatch subs = get(folder, "Folders");
        int n = count(subs);
        for (int i = 1; i <= n; i++) {
            walk(subs.invokeMethod(IDispatch.class, "Item", i), defId, out);
        }
    }

    private Folder folder(IDispatch f, boolean isDefault) {
        String id = f.getProperty(String.class, "EntryID");
        stores.put(id, f.getProperty(String.class, "StoreID"));
        return new Folder(id, f.getProperty(String.class, "Name"), f.getProperty(String.class, "FolderPath"),
                count(get(f, "Items")), isDefault);
    }

    @Override
    public List<Stamp> list(String folderEntryId) throws OutlookException {
        return call(() -> {
            IDispatch folder = folderById(folderEntryId);
            String store = stores.get(folderEntryId);
            // a Table reads MAPI rows without opening the items: the cheap listing (Outlook 2007 and later)
            IDispatch table = folder.invokeMethod(IDispatch.class, "GetTable", "", 0);
            IDispatch columns = get(table, "Columns");
            columns.invokeMethod(Object.class, "RemoveAll");
            columns.invokeMethod(Object.class, "Add", "EntryID");
            columns.invokeMethod(Object.class, "Add", "LastModificationTime");
            List<Stamp> out = new ArrayList<>();
            while (!Boolean.TRUE.equals(table.getProperty(Boolean.class, "EndOfTable"))) {
                IDispatch row = table.invokeMethod(IDispatch.class, "GetNextRow");
                String id = row.invokeMethod(String.class, "Item", "EntryID");
                if (store != null) {
                    stores.put(id, store);
                }
                out.add(new Stamp(id, toLocal(row.invokeMethod(VARIANT.class, "Item", "LastModificationTime"))));
            }
            return out;
        });
    }

    @Override
    public Map<String, Object> item(String entryId) throws OutlookException {
        return call(() -> {
            IDispatch item = byId(entryId);
            if (item == null) {
                return null;
            }
            Map<String, Object> p = properties(item);
            String uid = userProperty(item, OutlookItemMapper.UID_PROPERTY);
            if (uid != null) {
                p.put(OutlookItemMapper.UID_PROPERTY, uid);
            }
            if (Boolean.TRUE.equals(p.get("IsRecurring"))) {
                IDispatch pattern = item.invokeMethod(IDispatch.class, "GetRecurrencePattern");
                Map<String, Object> rp = new LinkedHashMap<>();
                for (String name : PATTERN_PROPERTIES) {
                    rp.put(name, pattern.getProperty(Object.class, name));
                }
                for (String name : PATTERN_DATES) {
                    rp.put(name, toLocal(pattern.getProperty(VARIANT.class, name)));
                }
                List<Map<String, Object>> exceptions = new ArrayList<>();
                IDispatch exs = get(pattern, "Exceptions");
                int n = count(exs);
                for (int i = 1; i <= n; i++) {
                    IDispatch ex = exs.invokeMethod(IDispatch.class, "Item", i);
                    Map<String, Object> e = new LinkedHashMap<>();
                    e.put("OriginalDate", toLocal(ex.getProperty(VARIANT.class, "OriginalDate")));
                    boolean deleted = Boolean.TRUE.equals(ex.getProperty(Boolean.class, "Deleted"));
                    e.put("Deleted", deleted);
                    if (!deleted) {
                        e.put("AppointmentItem", properties(get(ex, "AppointmentItem")));
                    }
                    exceptions.add(e);
                }
                rp.put("Exceptions", exceptions);
                p.put("RecurrencePattern", rp);
            }
            return p;
        });
    }

    private Map<String, Object> properties(IDispatch item) {
        Map<String, Object> p = new LinkedHashMap<>();
        for (String name : ITEM_PROPERTIES) {
            p.put(name, item.getProperty(Object.class, name));
        }
        for (String name : ITEM_DATES) {
            p.put(name, toLocal(item.getProperty(VARIANT.class, name)));
        }
        p.put("StartTimeZone", get(item, "StartTimeZone").getProperty(String.class, "ID"));
        p.put("EndTimeZone", get(item, "EndTimeZone").getProperty(String.class, "ID"));
        return p;
    }

    private static String userProperty(IDispatch item, String name) {
        Object found = get(item, "UserProperties").invokeMethod(Object.class, "Find", name);
        if (!(found instanceof IDispatch prop)) {
            return null;
        }
        try {
            Object v = prop.getProperty(Object.class, "Value");
            return v == null ? null : v.toString();
        } catch (COMException | NullPointerException e) {
            return null; // Find answered Nothing
        }
    }

    @Override
    public String save(String folderEntryId, String entryId, Map<String, Object> properties)
            throws OutlookException {
        return call(() -> {
            IDispatch item;
            if (entryId == null) {
                IDispatch folder = folderById(folderEntryId);
                item = get(folder, "Items").invokeMethod(IDispatch.class, "Add", OL_APPOINTMENT_ITEM);
            } else {
                item = byId(entryId);
                if (item == null) {
                    throw new COMException("the item no longer exists in Outlook");
                }
            }
            set(item, properties);
            item.invokeMethod(Object.class, "Save"); // never Send
            String id = item.getProperty(String.class, "EntryID");
            String store = stores.get(folderEntryId);
            if (store != null) {
                stores.put(id, store);
            }
            return id;
        });
    }

    @SuppressWarnings("unchecked")
    private void set(IDispatch item, Map<String, Object> properties) {
        for (Map.Entry<String, Object> e : properties.entrySet()) {
            String name = e.getKey();
            Object v = e.getValue();
            switch (name) {
                case "StartTimeZone", "EndTimeZone" -> item.setProperty(name,
                        get(app, "TimeZones").invokeMethod(IDispatch.class, "Item", v.toString()));
                case "RecurrencePattern" -> {
                    if (v instanceof Map<?, ?> m) {
                        IDispatch pattern = item.invokeMethod(IDispatch.class, "GetRecurrencePattern");
                        for (Map.Entry<String, Object> pe : ((Map<String, Object>) m).entrySet()) {
                            pattern.setProperty(pe.getKey(), toVariant(pe.getValue()));
                        }
                    } else if (Boolean.TRUE.equals(item.getProperty(Boolean.class, "IsRecurring"))) {
                        item.invokeMethod(Object.class, "ClearRecurrencePattern");
                    }
                }
                case OutlookItemMapper.UID_PROPERTY -> {
                    IDispatch props = get(item, "UserProperties");
                    Object found = props.invokeMethod(Object.class, "Find", name);
                    IDispatch prop = found instanceof IDispatch d ? d
                            : props.invokeMethod(IDispatch.class, "Add", name, 1 /* olText */, false);
                    prop.setProperty("Value", v.toString());
                }
                default -> item.setProperty(name, toVariant(v));
            }
        }
    }

    @Override
    public void saveOccurrence(String entryId, LocalDateTime originalStartLocal, Map<String, Object> properties)
            throws OutlookException {
        call(() -> {
            IDispatch occ = occurrence(entryId, originalStartLocal);
            Map<String, Object> p = new LinkedHashMap<>(properties);
            p.keySet().removeAll(Set.of("StartTimeZone", "EndTimeZone", "RecurrencePattern",
                    OutlookItemMapper.UID_PROPERTY));
            set(occ, p);
            occ.invokeMethod(Object.class, "Save");
            return null;
        });
    }

    @Override
    public void deleteOccurrence(String entryId, LocalDateTime originalStartLocal) throws OutlookException {
        call(() -> {
            occurrence(entryId, originalStartLocal).invokeMethod(Object.class, "Delete");
            return null;
        });
    }

    private IDispatch occurrence(String entryId, LocalDateTime originalStartLocal) {
        IDispatch master = byId(entryId);
        if (master == null) {
            throw new COMException("the series no longer exists in Outlook");
        }
        return master.invokeMethod(IDispatch.class, "GetRecurrencePattern")
                .invokeMethod(IDispatch.class, "GetOccurrence", toVariant(originalStartLocal));
    }

    @Override
    public void delete(String entryId) throws OutlookException {
        call(() -> {
            IDispatch item = byId(entryId);
            if (item != null) {
                item.invokeMethod(Object.class, "Delete");
            }
            return null;
        });
    }

    @Override
    public void renameFolder(String folderEntryId, String name) throws OutlookException {
        call(() -> {
            folderById(folderEntryId).setProperty("Name", name);
            return null;
        });
    }

    @Override
    public void close() {
        dispose(factory);
    }

    private static void dispose(Factory f) {
        try {
            f.disposeAll();
            f.getComThread().terminate(Duration.ofSeconds(5).toMillis());
        } catch (RuntimeException e) {
            LOG.debug("disposing the COM factory failed", e);
        }
    }

    // ------------------------------------------------------------------ helpers

    private IDispatch folderById(String folderEntryId) {
        String store = stores.get(folderEntryId);
        return store == null ? ns.invokeMethod(IDispatch.class, "GetFolderFromID", folderEntryId)
                : ns.invokeMethod(IDispatch.class, "GetFolderFromID", folderEntryId, store);
    }

    private IDispatch byId(String entryId) {
        String store = stores.get(entryId);
        try {
            return store == null ? ns.invokeMethod(IDispatch.class, "GetItemFromID", entryId)
                    : ns.invokeMethod(IDispatch.class, "GetItemFromID", entryId, store);
        } catch (COMException e) {
            if (notFound(e)) {
                return null;
            }
            throw e;
        }
    }

    private static boolean notFound(COMException e) {
        if (e.matchesErrorCode(MAPI_E_NOT_FOUND)) {
            return true;
        }
        return e instanceof COMInvokeException i && i.getScode() != null && i.getScode() == MAPI_E_NOT_FOUND;
    }

    private static IDispatch get(IDispatch d, String name) {
        return d.getProperty(IDispatch.class, name);
    }

    private static int count(IDispatch collection) {
        Integer n = collection.getProperty(Integer.class, "Count");
        return n == null ? 0 : n;
    }

    @FunctionalInterface
    private interface Call<T> {
        T run();
    }

    /** Runs COM calls; a COM error is an {@link OutlookException} (permanent when the thing does not exist). */
    private static <T> T call(Call<T> c) throws OutlookException {
        try {
            return c.run();
        } catch (COMException e) {
            String detail = e instanceof COMInvokeException i && i.getDescription() != null ? i.getDescription()
                    : e.getMessage();
            throw new OutlookException("COM: " + detail, notFound(e), e);
        } catch (RuntimeException e) {
            // the COM thread timed out or was interrupted, or a value had an unexpected type: try again later
            throw new OutlookException("COM call failed: " + e.getClass().getSimpleName()
                    + (e.getMessage() == null ? "" : " " + e.getMessage()), false, e);
        }
    }

    /** An OLE date VARIANT as its wall-clock value; null for an empty one. */
    static LocalDateTime toLocal(VARIANT v) {
        if (v == null || v.getVarType().intValue() != Variant.VT_DATE) {
            return null;
        }
        Object value = v.getValue();
        return value instanceof OaIdl.DATE d ? fromOle(d.date) : null;
    }

    /** OLE automation date → wall clock (whole seconds; Outlook keeps minutes). */
    static LocalDateTime fromOle(double ole) {
        long days = (long) Math.floor(ole);
        double fraction = Math.abs(ole - days);
        if (ole < 0) { // before 1899-12-30 the fraction counts forward from the (negative) day
            days = (long) Math.ceil(ole);
            fraction = Math.abs(ole - days);
        }
        long millis = Math.round(fraction * DAY_MILLIS);
        return OLE_EPOCH.plusDays(days).plus(millis, ChronoUnit.MILLIS).truncatedTo(ChronoUnit.SECONDS);
    }

    /** Wall clock → OLE automation date. */
    static double toOle(LocalDateTime t) {
        long days = ChronoUnit.DAYS.between(OLE_EPOCH.toLocalDate(), t.toLocalDate());
        double fraction = t.toLocalTime().toNanoOfDay() / 1e6 / DAY_MILLIS;
        return days >= 0 ? days + fraction : days - fraction;
    }

    private static Object toVariant(Object v) {
        if (v instanceof LocalDateTime t) {
            return new VARIANT(new OaIdl.DATE(toOle(t)));
        }
        return v;
    }
}
