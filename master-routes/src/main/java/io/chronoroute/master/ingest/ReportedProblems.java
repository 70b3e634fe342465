package io.chronoroute.master.ingest;

import java.util.List;
import java.util.Map;

/**
 * The problem list an agent reports in a heartbeat's {@code problems} field (architecture.md "Heartbeat"): what its
 * sources repaired, skipped or rejected in the files they read, and what the master refused. Sent only when it
 * changed; {@code version} names the list (the master answers it back as {@code problems_version}).
 *
 * @param version an opaque name of this list (1-128 characters)
 * @param total   how many problems the agent has in all ({@code items} holds at most {@value #MAX_ITEMS})
 * @param counts  kind → number, over all of them
 * @param items   {@code {"kind","source","file","line","uid","recurrence_id","property","message"}}, bounded
 */
public record ReportedProblems(String version, long total, Map<String, Long> counts, List<Map<String, Object>> items) {

    public static final int MAX_ITEMS = 200;
}
