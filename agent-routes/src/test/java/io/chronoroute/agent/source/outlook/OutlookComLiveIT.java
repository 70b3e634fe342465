package io.chronoroute.agent.source.outlook;

import io.chronoroute.agent.AgentProperties;
import io.chronoroute.agent.collect.ChangeBatch;
import io.chronoroute.agent.collect.ChangeCollector;
import io.chronoroute.agent.source.CalendarSource;
import io.chronoroute.agent.source.SourceConfig;
import io.chronoroute.agent.source.SourceRegistry;
import io.chronoroute.agent.state.AgentState;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.model.EventTime;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.util.List;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The COM layer ({@link ComOutlookSession}) and the source against a REAL Outlook for Windows: creates, reads,
 * updates and deletes an appointment and a small series in the calendar folder named by the system property
 * {@code chronoroute.outlook.folder} (create an empty test folder for it; everything this test creates is deleted
 * again). Runs only on Windows with that property set, through the Maven profile {@code windows-outlook}
 * (activated on Windows): {@code mvnw -pl agent-routes -am verify -Dtest=OutlookItemMapperTest
 * -Dsurefire.failIfNoSpecifiedTests=false -Dchronoroute.outlook.folder="Chronoroute Test"}.
 * Elsewhere it is not run at all (its name is not one Surefire runs, and JUnit disables it off Windows): it was
 * written without a Windows machine and has NOT been run yet.
 */
@Tag("windows-outlook")
@EnabledOnOs(OS.WINDOWS)
@EnabledIfSystemProperty(named = "chronoroute.outlook.folder", matches = "[^$].*") // set, not the unresolved ${...}
class OutlookComLiveIT {

    static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @TempDir
    Path tmp;

    @Test
    void createReadUpdateDeleteInARealOutlook() throws Exception {
        String folder = System.getProperty("chronoroute.outlook.folder");
        AgentProperties props = new AgentProperties("live-it", "t", "test", URI.create("http://127.0.0.1:1"), null,
                Duration.ofSeconds(30), Duration.ofSeconds(1), Duration.ofSeconds(1), 5000, 20, Duration.ofSeconds(5),
                Duration.ofMinutes(1), "Europe/Berlin");
        try (OutlookSession session = ComOutlookSession.open(); AgentState state = AgentState.open(tmp)) {
            assertThat(session.localTimeZone()).isNotBlank();
            assertThat(session.calendars()).as("calendar folders of the profile")
                    .anyMatch(f -> f.name().equalsIgnoreCase(folder) || f.path().equalsIgnoreCase(folder));
            SourceRegistry registry = new SourceRegistry();
            ChangeCollector collector = new ChangeCollector(state, props);
            OutlookWindowsSource source = new OutlookWindowsSource(state, registry, props, Clock.systemUTC());
            source.register("live", folder, "", true);
            SourceConfig cfg = registry.find("live").orElseThrow();
            collector.collect(source.read(cfg));
            source.committed(cfg);
            assertThat(source.state(cfg).lastError()).isNull();

            String uid = "chronoroute-it-" + UUID.randomUUID() + "@example.org";
            CalendarEvent event = CalendarEvent.builder().uid(uid).title("Chronoroute live test")
                    .description("created by OutlookComLiveIT").location("Nowhere")
                    .start(EventTime.ofZoned(LocalDateTime.now().plusDays(3).withHour(10).withMinute(0).withSecond(0)
                            .withNano(0), BERLIN))
                    .end(EventTime.ofZoned(LocalDateTime.now().plusDays(3).withHour(11).withMinute(0).withSecond(0)
                            .withNano(0), BERLIN)).build();
            CalendarSource.Applied created = source.applyEventUpdate(cfg, "create", event, null);
            CalendarEvent read = created.reread().get(0).events().get(0);
            assertThat(read.uid()).isEqualTo(uid);
            assertThat(read.title()).isEqualTo(event.title());
            assertThat(read.start().instant()).isEqualTo(event.start().instant());
            assertThat(read.start().zone()).isEqualTo("Europe/Berlin");
            collector.collect(created.reread());

            CalendarEvent edited = read.toBuilder().title("Chronoroute live test (edited)").origin(null).build();
            CalendarSource.Applied updated = source.applyEventUpdate(cfg, "update", edited,
                    ChangeCollector.hashOnTheWire(read));
            CalendarEvent after = updated.reread().get(0).events().get(0);
            assertThat(after.title()).isEqualTo("Chronoroute live test (edited)");
            collector.collect(updated.reread());

            // a weekly series of three, its second occurrence moved, its third deleted
            String seriesUid = "chronoroute-it-series-" + UUID.randomUUID() + "@example.org";
            LocalDateTime first = LocalDateTime.now().plusDays(7).withHour(9).withMinute(0).withSecond(0).withNano(0);
            CalendarEvent series = event.toBuilder().uid(seriesUid).title("Chronoroute live series")
                    .start(EventTime.ofZoned(first, BERLIN)).end(EventTime.ofZoned(first.plusMinutes(30), BERLIN))
                    .rrules(List.of("FREQ=WEEKLY;COUNT=3")).build();
            CalendarSource.Applied s = source.applyEventUpdate(cfg, "create", series, null);
            collector.collect(s.reread());
            CalendarEvent master = s.reread().get(0).events().get(0);
            assertThat(master.rrules()).singleElement().asString().startsWith("FREQ=WEEKLY").contains("COUNT=3");
            EventTime second = EventTime.ofZoned(first.plusWeeks(1), BERLIN);
            CalendarSource.Applied moved = source.applyEventUpdate(cfg, "update", master.toBuilder()
                    .recurrenceId(second).rrules(List.of()).title("Chronoroute live series (moved)")
                    .start(EventTime.ofZoned(first.plusWeeks(1).plusHours(2), BERLIN))
                    .end(EventTime.ofZoned(first.plusWeeks(1).plusHours(2).plusMinutes(30), BERLIN)).origin(null)
                    .build(), null);
            assertThat(moved.reread().get(0).events()).anyMatch(e -> second.equals(e.recurrenceId())
                    && e.title().equals("Chronoroute live series (moved)"));
            collector.collect(moved.reread());
            EventTime third = EventTime.ofZoned(first.plusWeeks(2), BERLIN);
            CalendarSource.Applied gone = source.applyEventUpdate(cfg, "delete", master.toBuilder()
                    .recurrenceId(third).build(), null);
            assertThat(gone.reread().get(0).events().get(0).exdates()).contains(third);
            collector.collect(gone.reread());

            // a poll reads what Outlook holds and finds nothing new to send
            List<ChangeBatch> again = source.read(cfg);
            assertThat(collector.collect(again).upserted()).isZero();
            source.committed(cfg);

            // delete both (nothing sent), and a poll no longer lists them
            assertThat(source.applyEventUpdate(cfg, "delete", after, ChangeCollector.hashOnTheWire(after)).reread())
                    .singleElement().satisfies(b -> assertThat(b.kind()).isEqualTo(ChangeBatch.Kind.REMOVED));
            source.applyEventUpdate(cfg, "delete", master.toBuilder().recurrenceId(null).build(), null);
            assertThat(source.read(cfg)).noneMatch(b -> b.events().stream()
                    .anyMatch(e -> e.uid().equals(uid) || e.uid().equals(seriesUid)));
        }
    }
}
