package io.chronoroute.agent.source.olk;

import com.fasterxml.jackson.annotation.JsonIgnore;

import java.util.List;

/**
 * What the Outlook for Mac source remembers about one {@code .olk15Event} file (persisted in
 * {@link OlkSourceIndex}), so a series can be assembled across files and polls without parsing unchanged files.
 *
 * @param recordId       the file's RecordID (header 0x0C); masters are found by it
 * @param masterRecordId the master's RecordID when this file is an exception, else null
 * @param uid            the UID this record was sent with (for a master: the UID its exceptions use); null while pending
 * @param allDay         whether the record was sent as all-day (decides the form of its exceptions' RECURRENCE-ID)
 * @param zone           the zone the record was sent in (the zone of its exceptions' RECURRENCE-ID)
 * @param state          OK, PENDING (exception whose master is not known yet: nothing sent), FILTERED (its account
 *                       is not selected: nothing sent)
 * @param mismatches     disagreements with Outlook.sqlite found when it was last read ("field: file=x db=y")
 */
public record OlkFileInfo(Integer recordId, Integer masterRecordId, String uid, Boolean allDay, String zone,
                          State state, List<String> mismatches) {

    public enum State { OK, PENDING, FILTERED }

    public OlkFileInfo {
        mismatches = mismatches == null ? List.of() : List.copyOf(mismatches);
    }

    /** A master (or single event) whose exceptions can be resolved against it. */
    @JsonIgnore
    public boolean isUsableMaster() {
        return masterRecordId == null && state == State.OK && uid != null;
    }
}
