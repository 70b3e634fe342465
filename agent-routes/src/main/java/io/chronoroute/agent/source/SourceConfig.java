package io.chronoroute.agent.source;

import java.nio.file.Path;
import java.time.ZoneId;

/**
 * One configured source, as its templated route declared it.
 *
 * @param name              the source name (unique within the agent; part of every sync key)
 * @param folder            the folder it reads
 * @param zone              zone for times whose zone the source does not state
 * @param allowEventUpdates whether the master may create/update/delete events in it
 */
public record SourceConfig(String name, Path folder, ZoneId zone, boolean allowEventUpdates) {
}
