package io.chronoroute.agent.source.olk;

import io.chronoroute.olk15.sqlite.CalendarEventRow;
import io.chronoroute.olk15.sqlite.CalendarFolder;
import io.chronoroute.olk15.sqlite.OutlookAccount;
import io.chronoroute.olk15.sqlite.OutlookDatabase;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * What one poll needs from {@code Outlook.sqlite} (opened read-only by {@link OutlookDatabase}: {@code mode=ro},
 * never {@code immutable=1}), read once per poll that has changes: the {@code CalendarEvents} rows by path, the
 * calendar folders and the accounts selected by the source's {@code accounts} filter.
 *
 * @param rowsByPath       rows by {@code PathToDataFile} (normalized)
 * @param folders          calendar folders by Record_RecordID
 * @param selectedAccounts Account_MailAccountUIDs the filter selects; null when there is no filter
 * @param unknownAccounts  filter entries that match no account (reported)
 */
record OutlookDbSnapshot(Map<String, CalendarEventRow> rowsByPath, Map<Integer, CalendarFolder> folders,
                         Set<Long> selectedAccounts, List<String> unknownAccounts) {

    static OutlookDbSnapshot read(Path sqlite, List<String> accountFilter) throws SQLException {
        try (OutlookDatabase db = OutlookDatabase.open(sqlite)) {
            Map<String, CalendarEventRow> rows = db.calendarEventsByPath();
            Map<Integer, CalendarFolder> folders = new HashMap<>();
            for (CalendarFolder f : db.calendarFolders()) {
                if (f.recordId() != null) {
                    folders.put(f.recordId(), f);
                }
            }
            Set<Long> selected = null;
            List<String> unknown = new ArrayList<>();
            if (!accountFilter.isEmpty()) {
                List<OutlookAccount> accounts = db.accounts();
                selected = new LinkedHashSet<>();
                for (String wanted : accountFilter) {
                    boolean found = false;
                    for (OutlookAccount a : accounts) {
                        // the same matching as `olk15 discover --accounts`: e-mail (any case), name or MailAccountUID
                        if (a.accountUid() != null && (wanted.equalsIgnoreCase(a.emailAddress()) || wanted.equals(a.name())
                                || wanted.equals(String.valueOf(a.accountUid())))) {
                            selected.add(a.accountUid());
                            found = true;
                        }
                    }
                    if (!found) {
                        unknown.add(wanted);
                    }
                }
            }
            return new OutlookDbSnapshot(rows, folders, selected, List.copyOf(unknown));
        }
    }

    /** The row of a file, by its path relative to the Events folder ("Events/<rel>" as Outlook stores it, or "<rel>"). */
    CalendarEventRow row(String relativeToEvents) {
        CalendarEventRow r = rowsByPath.get("Events/" + relativeToEvents);
        return r != null ? r : rowsByPath.get(relativeToEvents);
    }

    boolean filtering() {
        return selectedAccounts != null;
    }

    boolean selected(CalendarEventRow row) {
        return selectedAccounts == null || (row != null && row.accountUid() != null && selectedAccounts.contains(row.accountUid()));
    }
}
