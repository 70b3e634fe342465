package io.chronoroute.master.destination;

import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.providers.common.DestinationErrorClassifier;

import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * An in-memory destination for the sync's own logic: objects by remote id, a change feed the test fills through
 * what a user would do in the destination ({@link #userEdit}, {@link #userDelete}, {@link #userCreate}). It writes
 * title, location, start and end only (so description, attendees etc. are "fields we never write"), shows ours back
 * with exactly those fields, and logs every write call.
 */
final class MemoryWriter implements DestinationWriter {

    static final Set<EventField> WRITTEN = EnumSet.of(EventField.TITLE, EventField.LOCATION, EventField.START,
            EventField.END);

    /** One object of the destination; {@code identity} null = not ours (no tag). */
    record Obj(String remoteId, String identity, String hash, String version, CalendarEvent event, boolean deleted) {
    }

    final Map<String, Obj> objects = new LinkedHashMap<>();
    final List<String> log = new ArrayList<>();
    final List<String> renamed = new ArrayList<>();
    private final List<RemoteEvent> feed = new ArrayList<>();
    private int versions;
    private int cursors;

    static DestinationWriterFactory factory(MemoryWriter w) {
        return new DestinationWriterFactory() {
            @Override
            public String type() {
                return "memory";
            }

            @Override
            public DestinationWriter create(DestinationContext context) {
                return w;
            }
        };
    }

    /** What the destination holds of an event: only the fields it writes. */
    static CalendarEvent shown(CalendarEvent e) {
        return CalendarEvent.builder().uid(e.uid()).recurrenceId(e.recurrenceId()).title(e.title())
                .location(e.location()).start(e.start()).end(e.end()).build();
    }

    @Override
    public WriteResult upsert(DestinationEvent de, MappingEntry current) {
        String remoteId = current != null ? current.remoteId() : "r-" + de.identity();
        Obj before = objects.get(remoteId);
        objects.put(remoteId, new Obj(remoteId, de.identity(), de.contentHash(), "v" + (++versions),
                shown(de.event()), false));
        log.add("upsert " + de.event().title());
        return new WriteResult(remoteId, "v" + versions, before == null);
    }

    @Override
    public void delete(DestinationEvent de, MappingEntry current) {
        Obj o = objects.get(current.remoteId());
        if (o != null) {
            objects.put(o.remoteId(), new Obj(o.remoteId(), o.identity(), o.hash(), "v" + (++versions), o.event(),
                    true));
        }
        log.add("delete " + de.identity());
    }

    @Override
    public void listOwn(Consumer<RemoteEvent> sink) {
        for (Obj o : objects.values()) {
            if (o.identity() != null) {
                sink.accept(new RemoteEvent(o.remoteId(), o.identity(), o.hash(), o.version(), o.deleted(), null,
                        null));
            }
        }
    }

    @Override
    public RemoteChanges readChanges(String cursor) {
        List<RemoteEvent> out = cursor == null ? List.of() : List.copyOf(feed);
        feed.clear();
        return new RemoteChanges(out, "c" + (++cursors));
    }

    @Override
    public Set<EventField> writtenFields() {
        return WRITTEN;
    }

    @Override
    public void renameCalendar(String displayName) {
        log.add("rename " + displayName);
        renamed.add(displayName);
    }

    @Override
    public DestinationErrorClassifier classifier() {
        return DestinationErrorClassifier.GENERIC;
    }

    // ------------------------------------------------------------------------------------------------ the user

    Obj byIdentity(String identity) {
        return objects.values().stream().filter(o -> identity.equals(o.identity())).findFirst().orElseThrow();
    }

    /** Edits our event as a user would (our tag stays); the change feed reports it. */
    void userEdit(String identity, UnaryOperator<CalendarEvent> edit, Instant modified) {
        Obj o = byIdentity(identity);
        Obj n = new Obj(o.remoteId(), o.identity(), o.hash(), "v" + (++versions), edit.apply(o.event()), false);
        objects.put(o.remoteId(), n);
        feed.add(new RemoteEvent(n.remoteId(), n.identity(), n.hash(), n.version(), false, null, null, n.event(),
                modified));
    }

    void userDelete(String identity, Instant modified) {
        Obj o = byIdentity(identity);
        objects.put(o.remoteId(), new Obj(o.remoteId(), o.identity(), o.hash(), "v" + (++versions), o.event(),
                true));
        feed.add(new RemoteEvent(o.remoteId(), o.identity(), o.hash(), "v" + versions, true, null, null, null,
                modified));
    }

    /** A new event without our tag. */
    String userCreate(CalendarEvent e, Instant modified) {
        String remoteId = "u-" + e.uid();
        objects.put(remoteId, new Obj(remoteId, null, null, "v" + (++versions), e, false));
        feed.add(new RemoteEvent(remoteId, null, null, "v" + versions, false, null, null, e, modified));
        return remoteId;
    }
}
