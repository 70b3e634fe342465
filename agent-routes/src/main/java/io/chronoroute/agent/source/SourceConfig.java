package io.chronoroute.agent.source;

import java.nio.file.Path;
import java.time.ZoneId;

/**
 * One configured source, as its templated route declared it.
 *
 * @param name              the source name (unique within the agent; part of every sync key)
 * @param folder            the folder it reads; null for a source that reads no folder (an ICS subscription)
 * @param zone              zone for times whose zone the source does not state
 * @param allowEventUpdates whether the master may create/update/delete events in it
 * @param provider          what kind of source it is ({@code ics}, {@code outlook-mac}, {@code ics-subscription}): the
 *                          {@link CalendarSource#kind()} that serves it; null when not said
 */
public record SourceConfig(String name, Path folder, ZoneId zone, boolean allowEventUpdates, String provider) {

    public SourceConfig(String name, Path folder, ZoneId zone, boolean allowEventUpdates) {
        this(name, folder, zone, allowEventUpdates, null);
    }

    /** A folder of .ics files: its one calendar is the source itself (calendar id = source name). */
    public boolean isIcsFolder() {
        return IcsFolderSource.PROVIDER.equals(provider);
    }
}
