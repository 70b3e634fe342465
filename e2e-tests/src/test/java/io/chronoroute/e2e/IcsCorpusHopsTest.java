package io.chronoroute.e2e;

import io.chronoroute.processors.ical.ICalCodec;
import io.chronoroute.processors.ical.ICalLimits;
import io.chronoroute.processors.model.CalendarEvent;
import io.chronoroute.processors.wire.WireJson;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The corpus through the same hops as {@link IcsCorpusFidelityIT}, in process and in seconds: the agent's reader, the
 * wire form the agent sends, the master's wire reader and stored form, and the feed's writer. Occurrences compared
 * with {@link IndependentExpansion} (biweekly): file versus feed text.
 */
class IcsCorpusHopsTest {

    @Test
    void everyOccurrenceSurvivesReaderWireAndFeedWriter() throws Exception {
        List<String> inputs = new ArrayList<>();
        List<CalendarEvent> atMaster = new ArrayList<>();
        for (Path p : IcsCorpusFidelityIT.files("valid")) {
            String text = Files.readString(p, StandardCharsets.UTF_8);
            inputs.add(text);
            for (CalendarEvent e : ICalCodec.read(text, null, ICalLimits.DEFAULT).events()) {
                CalendarEvent received = WireJson.readEvent(WireJson.writeEvent(e), null);
                atMaster.add(WireJson.fromJson(WireJson.toJson(received)));
            }
        }
        String feed = ICalCodec.write(atMaster, "-//Chronoroute//hops test//EN");
        IndependentExpansion x = new IndependentExpansion(IcsCorpusFidelityIT.FROM, IcsCorpusFidelityIT.TO);
        TreeSet<String> expected = x.occurrences(inputs);
        TreeSet<String> fromFeed = x.occurrences(List.of(feed));
        assertThat(expected).hasSizeGreaterThan(1000);
        TreeSet<String> missing = new TreeSet<>(expected);
        missing.removeAll(fromFeed);
        TreeSet<String> extra = new TreeSet<>(fromFeed);
        extra.removeAll(expected);
        assertThat(missing).as("lost between file and feed").isEmpty();
        assertThat(extra).as("in the feed but not in the files").isEmpty();
        assertThat(feed).contains("DTSTART:20250612T090000").as("floating stays floating");
    }
}
