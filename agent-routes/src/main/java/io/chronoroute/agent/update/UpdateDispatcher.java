package io.chronoroute.agent.update;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.heartbeat.HeartbeatSchedule;
import io.chronoroute.agent.heartbeat.MasterClient;
import io.chronoroute.agent.source.CalendarSource;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.agent.state.CredentialStore;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.wire.WireFormatException;
import io.chronoroute.processors.wire.WireJson;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

import java.io.IOException;
import java.time.Duration;

/**
 * Applies one update from the master (route {@code agent-apply-update}) and confirms it with
 * {@code POST /sync/agents/{id}/updates/{uid}/processed}.
 * <ul>
 *   <li>{@code event_update} → the named source through its {@link CalendarSource} (whatever its kind), if it
 *       accepts writes; an unknown or read-only source (with the source's reason, {@link CalendarSource#refusal}), an
 *       unknown action, a malformed event, or a {@code base_hash} that the event in the source no longer has (the
 *       user changed it since) is confirmed as a permanent failure ({@code {"success":false,"permanent":true,"error"}});
 *       a transient failure (folder unavailable) is not confirmed, so the master delivers it again with the next
 *       heartbeat. The files written are collected at once ({@link ChangeCollector}): the state shows the applied
 *       update before the confirmation, the next heartbeat sends the re-read event once (the master recognises
 *       its own write), and the next poll finds the file unchanged;</li>
 *   <li>{@code sync_config} → {@code sync_interval_minutes} changes the heartbeat interval at runtime; other keys
 *       have no meaning for this agent and are ignored (logged);</li>
 *   <li>{@code calendar_metadata} ({@code calendar_id, name, color}) → the calendar is renamed/recoloured for real
 *       in a writable source ({@link CalendarSource#renameCalendar}) and the metadata recorded in the state
 *       (the name the agent reports from then on); an unknown calendar or a read-only one is a permanent
 *       failure;</li>
 *   <li>any other type → permanent failure "not supported".</li>
 * </ul>
 * Applied update ids are remembered in the state before the confirmation is sent, so a redelivery (lost
 * confirmation) is confirmed again without applying twice.
 */
@Component("updateDispatcher")
public class UpdateDispatcher {

    private static final Logger LOG = LoggerFactory.getLogger(UpdateDispatcher.class);

    private final AgentState state;
    private final SourceRegistry sources;
    private final ChangeCollector collector;
    private final HeartbeatSchedule schedule;
    private final MasterClient client;
    private final CredentialStore credentials;
    private final String agentId;

    public UpdateDispatcher(AgentState state, SourceRegistry sources, ChangeCollector collector, HeartbeatSchedule schedule, MasterClient client,
                            CredentialStore credentials, AgentProperties props) {
        this.state = state;
        this.sources = sources;
        this.collector = collector;
        this.schedule = schedule;
        this.client = client;
        this.credentials = credentials;
        this.agentId = props.id();
    }

    /** The outcome, for logs and tests: APPLIED, ALREADY_APPLIED, REJECTED or RETRY_LATER. */
    public enum Outcome { APPLIED, ALREADY_APPLIED, REJECTED, RETRY_LATER, IGNORED }

    public Outcome apply(JsonNode update) {
        String id = update.hasNonNull("id") ? update.get("id").asText() : null;
        String type = update.path("type").asText("");
        if (id == null || id.isBlank()) {
            LOG.warn("Ignoring an update without id (type '{}')", type);
            return Outcome.IGNORED;
        }
        if (state.read(tx -> tx.isUpdateApplied(id))) {
            LOG.debug("Update {} was applied before; confirming it again", id);
            confirm(id, null);
            return Outcome.ALREADY_APPLIED;
        }
        JsonNode data = update.path("data");
        try {
            String result = switch (type) {
                case "event_update" -> eventUpdate(data);
                case "sync_config" -> syncConfig(data);
                case "calendar_metadata" -> calendarMetadata(data);
                default -> throw new UpdateFailedException("update type '" + type + "' is not supported by this agent", true);
            };
            state.write(tx -> {
                tx.markUpdateApplied(id, type, result);
                return null;
            });
            LOG.info("Applied update {} ({}): {}", id, type, result);
            confirm(id, null);
            return Outcome.APPLIED;
        } catch (UpdateFailedException e) {
            if (e.permanent()) {
                LOG.warn("Rejecting update {} ({}): {}", id, type, e.getMessage());
                ObjectNode body = WireJson.mapper().createObjectNode();
                body.put("success", false);
                body.put("permanent", true);
                body.put("error", e.getMessage());
                confirm(id, body.toString());
                return Outcome.REJECTED;
            }
            LOG.warn("Update {} ({}) could not be applied now and stays pending at the master: {}", id, type, e.getMessage());
            return Outcome.RETRY_LATER;
        }
    }

    private String eventUpdate(JsonNode data) throws UpdateFailedException {
        String sourceName = data.hasNonNull("source") ? data.get("source").asText() : null;
        String action = data.path("action").asText(null);
        SourceConfig source = sources.find(sourceName).orElseThrow(() ->
                new UpdateFailedException("no source named '" + sourceName + "' in agent '" + agentId + "'", true));
        CalendarSource writer = writerOf(source);
        CalendarEvent event;
        try {
            JsonNode wire = data.path("event");
            event = WireJson.readEvent("delete".equals(action) ? deleteTarget(wire) : wire, source.zone());
        } catch (WireFormatException e) {
            throw new UpdateFailedException("invalid event: " + e.getMessage(), true, e);
        }
        String baseHash = data.hasNonNull("base_hash") ? data.get("base_hash").asText() : null;
        CalendarSource.Applied applied = writer.applyEventUpdate(source, action, event, baseHash);
        collect(applied);
        return applied.outcome() + " (source '" + sourceName + "')";
    }

    /** The source's kind, if it accepts writes; else a permanent failure with the source's reason. */
    private CalendarSource writerOf(SourceConfig source) throws UpdateFailedException {
        CalendarSource kind = sources.implementationOf(source).orElseThrow(() -> new UpdateFailedException(
                "source '" + source.name() + "' is of kind '" + source.provider() + "', which this agent cannot write", true));
        String refusal = kind.refusal(source);
        if (refusal != null) {
            throw new UpdateFailedException(refusal, true);
        }
        return kind;
    }

    /** What an update wrote, into the state now (the next read would find it too, later). */
    private void collect(CalendarSource.Applied applied) {
        if (applied.reread().isEmpty()) {
            return;
        }
        try {
            collector.collect(applied.reread());
        } catch (RuntimeException e) {
            LOG.warn("Cannot collect the files just written ({}); the next poll reads them", e.getMessage());
        }
    }

    /**
     * A delete needs only the UID (and the recurrence id of one occurrence): the seed's {@code {id}} or
     * {@code {uid}} alone is a complete delete. The reader wants a start, so an event without one is read with its
     * recurrence id (or a placeholder date) as start; only UID and recurrence id are used to find what to delete.
     */
    static JsonNode deleteTarget(JsonNode wire) {
        if (!wire.isObject() || wire.hasNonNull("start") || wire.hasNonNull("start_time")) {
            return wire;
        }
        ObjectNode copy = ((ObjectNode) wire).deepCopy();
        copy.remove(java.util.List.of("end", "end_time", "duration"));
        JsonNode rid = wire.get("recurrence_id");
        if (rid != null && !rid.isNull()) {
            copy.set("start", rid);
        } else {
            copy.putObject("start").put("date", "1970-01-01");
        }
        return copy;
    }

    private String syncConfig(JsonNode data) throws UpdateFailedException {
        JsonNode changes = data.has("changes") ? data.get("changes") : data;
        StringBuilder result = new StringBuilder();
        JsonNode minutes = changes.get("sync_interval_minutes");
        if (minutes != null && !minutes.isNull()) {
            if (!minutes.isNumber() || minutes.asDouble() <= 0) {
                throw new UpdateFailedException("sync_interval_minutes must be a positive number, was " + minutes, true);
            }
            Duration d = Duration.ofMillis(Math.round(minutes.asDouble() * 60_000));
            schedule.changeInterval(d);
            result.append("heartbeat interval ").append(d);
        }
        changes.fieldNames().forEachRemaining(f -> {
            if (!"sync_interval_minutes".equals(f)) {
                LOG.info("sync_config key '{}' has no meaning for this agent; ignored", f);
            }
        });
        return result.isEmpty() ? "nothing applicable" : result.toString();
    }

    /**
     * A rename/recolour of one of this agent's calendars. The calendar id is the one the agent reports (the events'
     * {@code calendar_id}, {@code stats.source_list[].calendar_id}): for a folder source, the source name. A calendar
     * that only events name (an Outlook for Mac calendar) is refused with its source's reason.
     */
    private String calendarMetadata(JsonNode data) throws UpdateFailedException {
        String calendarId = data.path("calendar_id").asText("");
        if (calendarId.isBlank()) {
            throw new UpdateFailedException("calendar_metadata without calendar_id", true);
        }
        String name = textOrNull(data, "name");
        String color = textOrNull(data, "color");
        SourceConfig source = sources.find(calendarId).orElse(null);
        if (source == null) {
            // one of several calendars of a source (Exchange, Google, CalDAV, Outlook for Mac): found by its events
            var holder = state.read(tx -> tx.findCurrent(e -> calendarId.equals(e.event().path("calendar_id").asText(null))));
            if (holder == null) {
                throw new UpdateFailedException("no calendar '" + calendarId + "' in agent '" + agentId + "'", true);
            }
            source = sources.find(holder.source()).orElseThrow(() -> new UpdateFailedException("calendar '"
                    + calendarId + "' of source '" + holder.source() + "' is read-only: the source is not running",
                    true));
        }
        CalendarSource writer;
        try {
            writer = writerOf(source);
        } catch (UpdateFailedException e) {
            throw new UpdateFailedException("calendar '" + calendarId + "' of source '" + source.name()
                    + "' is read-only: " + e.getMessage(), true);
        }
        // recorded first: the files re-read below then carry the new name
        JsonNode previous = state.read(tx -> tx.calendarMetadata(calendarId));
        ObjectNode merged = previous != null && previous.isObject() ? ((ObjectNode) previous).deepCopy()
                : WireJson.mapper().createObjectNode();
        data.fields().forEachRemaining(f -> {
            if (!f.getValue().isNull()) {
                merged.set(f.getKey(), f.getValue());
            }
        });
        state.write(tx -> {
            tx.putCalendarMetadata(calendarId, merged);
            return null;
        });
        CalendarSource.Applied applied = writer.renameCalendar(source, calendarId, name, color);
        collect(applied);
        return applied.outcome();
    }

    private static String textOrNull(JsonNode data, String field) {
        JsonNode v = data.get(field);
        return v == null || v.isNull() || v.asText().isBlank() ? null : v.asText();
    }

    private void confirm(String id, String body) {
        try {
            MasterClient.Answer a = client.processed(agentId, credentials.load().orElse(null), id, body);
            if (a.status() / 100 != 2) {
                LOG.warn("The master answered HTTP {} to the confirmation of update {}; it will be confirmed again when "
                        + "redelivered", a.status(), id);
            }
        } catch (IOException e) {
            LOG.warn("Cannot confirm update {} ({}); it will be confirmed again when redelivered", id, e.getMessage());
        }
    }
}
