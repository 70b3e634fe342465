package io.chronoroute.olk15.sqlite;

import io.chronoroute.olk15.format.ValueDecoder;
import io.chronoroute.olk15.format.WinMinutes;
import io.chronoroute.olk15.model.Olk15Event;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * Read-only access to {@code Outlook.sqlite}. Opened as {@code jdbc:sqlite:file:...?mode=ro} and never with
 * {@code immutable=1} (format notes §3: Outlook may be writing; immutable would let SQLite skip locking and read
 * torn pages). Missing tables give empty results and missing columns give null values, so other schema versions
 * degrade instead of failing.
 */
public final class OutlookDatabase implements AutoCloseable {

    private final Connection connection;

    private OutlookDatabase(Connection connection) {
        this.connection = connection;
    }

    public static OutlookDatabase open(Path sqlite) throws SQLException {
        if (!java.nio.file.Files.isRegularFile(sqlite)) {
            throw new SQLException("no Outlook.sqlite at " + sqlite);
        }
        String uri = sqlite.toAbsolutePath().toUri().toString();
        return new OutlookDatabase(DriverManager.getConnection("jdbc:sqlite:" + uri + "?mode=ro"));
    }

    /** The JDBC URL form used (for tests and logs; holds no secret). */
    public static String jdbcUrl(Path sqlite) {
        return "jdbc:sqlite:" + sqlite.toAbsolutePath().toUri() + "?mode=ro";
    }

    @Override
    public void close() throws SQLException {
        connection.close();
    }

    /** Accounts from every table whose name starts with "Accounts" (AccountsExchange, AccountsMail, ...). */
    public List<OutlookAccount> accounts() throws SQLException {
        List<OutlookAccount> out = new ArrayList<>();
        for (String table : tables()) {
            if (!table.startsWith("Accounts")) {
                continue;
            }
            Set<String> cols = columns(table);
            if (!cols.contains("Account_MailAccountUID")) {
                continue;
            }
            String sql = "SELECT " + col(cols, "Account_MailAccountUID") + ", " + col(cols, "Account_Name") + ", "
                    + col(cols, "Account_EmailAddress") + " FROM \"" + table + "\"";
            try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
                while (rs.next()) {
                    out.add(new OutlookAccount(table, getLong(rs, 1), rs.getString(2), rs.getString(3)));
                }
            }
        }
        return out;
    }

    /** {@code Folders} rows with {@code Folder_SpecialFolderType} = 4 (calendar). */
    public List<CalendarFolder> calendarFolders() throws SQLException {
        Set<String> cols = columns("Folders");
        if (!cols.contains("Folder_SpecialFolderType")) {
            return List.of();
        }
        String sql = "SELECT " + col(cols, "Record_RecordID") + ", " + col(cols, "Record_AccountUID") + ", "
                + col(cols, "Folder_ParentID") + ", " + col(cols, "Folder_Name")
                + " FROM Folders WHERE Folder_SpecialFolderType = 4";
        List<CalendarFolder> out = new ArrayList<>();
        try (Statement st = connection.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                out.add(new CalendarFolder(getInt(rs, 1), getLong(rs, 2), getInt(rs, 3), rs.getString(4)));
            }
        }
        return out;
    }

    /** All {@code CalendarEvents} rows in record order. */
    public List<CalendarEventRow> calendarEvents() throws SQLException {
        Set<String> cols = columns("CalendarEvents");
        if (cols.isEmpty()) {
            return List.of();
        }
        String[] names = {"Record_RecordID", "PathToDataFile", "Record_ModDate", "Record_FolderID",
            "Record_AccountUID", "Record_UUID", "Calendar_StartDateUTC", "Calendar_EndDateUTC", "Calendar_IsRecurring",
            "Calendar_UID", "Calendar_MasterRecordID", "Calendar_RecurrenceID", "Calendar_AttendeeCount",
            "Calendar_DismissTime"};
        StringBuilder sql = new StringBuilder("SELECT ");
        for (int i = 0; i < names.length; i++) {
            sql.append(i == 0 ? "" : ", ").append(col(cols, names[i]));
        }
        sql.append(" FROM CalendarEvents");
        if (cols.contains("Record_RecordID")) {
            sql.append(" ORDER BY Record_RecordID");
        }
        List<CalendarEventRow> out = new ArrayList<>();
        try (PreparedStatement st = connection.prepareStatement(sql.toString()); ResultSet rs = st.executeQuery()) {
            while (rs.next()) {
                Long rec = getLong(rs, 9);
                out.add(new CalendarEventRow(getInt(rs, 1), rs.getString(2), getLong(rs, 3), getInt(rs, 4),
                        getLong(rs, 5), uuidText(rs.getObject(6)), getLong(rs, 7), getLong(rs, 8),
                        rec == null ? null : rec != 0, rs.getString(10), getInt(rs, 11), getLong(rs, 12),
                        getInt(rs, 13), getLong(rs, 14)));
            }
        }
        return out;
    }

    /** {@code CalendarEvents} keyed by {@code PathToDataFile} (rows without a path are left out). */
    public Map<String, CalendarEventRow> calendarEventsByPath() throws SQLException {
        Map<String, CalendarEventRow> out = new LinkedHashMap<>();
        for (CalendarEventRow r : calendarEvents()) {
            if (r.pathToDataFile() != null) {
                out.putIfAbsent(normalize(r.pathToDataFile()), r);
            }
        }
        return out;
    }

    /** The key form of {@link #calendarEventsByPath()}: forward slashes, no leading "./". */
    public static String normalize(String pathToDataFile) {
        String p = pathToDataFile.replace('\\', '/');
        return p.startsWith("./") ? p.substring(2) : p;
    }

    /**
     * Compares the P-verified fields of a decoded file with its database row. A field is compared when both sides
     * know it; start and end are also reported when only one side has them. Nothing is resolved.
     */
    public static List<Mismatch> crossCheck(Olk15Event event, CalendarEventRow row) {
        List<Mismatch> out = new ArrayList<>();
        compare(out, "recordId", event.recordId(), row.recordId(), false);
        compare(out, "start", minutes(event.start()), row.startMinutes(), true);
        compare(out, "end", minutes(event.end()), row.endMinutes(), true);
        compare(out, "recurring", event.recurring(), row.recurring(), false);
        compare(out, "uid", event.icalUid(), row.uid(), false);
        compare(out, "masterRecordId", event.masterRecordId(), row.masterRecordId(), false);
        compare(out, "recurrenceId", minutes(event.recurrenceId()), row.recurrenceIdMinutes(), false);
        compare(out, "recordUuid", event.recordUuid() == null ? null : event.recordUuid().toString(),
                row.recordUuid() == null ? null : row.recordUuid().toLowerCase(Locale.ROOT), false);
        return out;
    }

    private static Long minutes(java.time.Instant t) {
        return t == null ? null : WinMinutes.fromInstant(t);
    }

    private static void compare(List<Mismatch> out, String field, Object file, Object db, boolean reportMissing) {
        if (file == null && db == null) {
            return;
        }
        if (file == null || db == null) {
            if (reportMissing) {
                out.add(new Mismatch(field, describe(field, file), describe(field, db)));
            }
            return;
        }
        Object f = file instanceof Integer i ? Long.valueOf(i) : file;
        Object d = db instanceof Integer i ? Long.valueOf(i) : db;
        if (!Objects.equals(f, d)) {
            out.add(new Mismatch(field, describe(field, f), describe(field, d)));
        }
    }

    private static String describe(String field, Object v) {
        if ((field.equals("start") || field.equals("end") || field.equals("recurrenceId")) && v instanceof Long m) {
            return WinMinutes.toInstant(m).toString();
        }
        return String.valueOf(v);
    }

    private static String uuidText(Object v) {
        if (v == null) {
            return null;
        }
        if (v instanceof byte[] b) {
            return b.length == 16 ? ValueDecoder.guid(b, 0).toString().toUpperCase(Locale.ROOT) : null;
        }
        String s = v.toString().trim();
        try {
            return UUID.fromString(s.replace("{", "").replace("}", "")).toString().toUpperCase(Locale.ROOT);
        } catch (IllegalArgumentException e) {
            return s;
        }
    }

    private Set<String> tables() throws SQLException {
        Set<String> out = new HashSet<>();
        DatabaseMetaData md = connection.getMetaData();
        try (ResultSet rs = md.getTables(null, null, "%", new String[] {"TABLE"})) {
            while (rs.next()) {
                out.add(rs.getString("TABLE_NAME"));
            }
        }
        return out;
    }

    private Set<String> columns(String table) throws SQLException {
        Set<String> out = new HashSet<>();
        try (Statement st = connection.createStatement();
             ResultSet rs = st.executeQuery("PRAGMA table_info(\"" + table.replace("\"", "\"\"") + "\")")) {
            while (rs.next()) {
                out.add(rs.getString("name"));
            }
        }
        return out;
    }

    private static String col(Set<String> cols, String name) {
        return cols.contains(name) ? name : "NULL";
    }

    private static Long getLong(ResultSet rs, int i) throws SQLException {
        Object o = rs.getObject(i);
        if (o instanceof Number n) {
            return n.longValue();
        }
        if (o instanceof String s) {
            try {
                return Long.parseLong(s.trim());
            } catch (NumberFormatException e) {
                return null;
            }
        }
        return null;
    }

    private static Integer getInt(ResultSet rs, int i) throws SQLException {
        Long l = getLong(rs, i);
        return l == null || l != l.intValue() ? null : l.intValue();
    }
}
