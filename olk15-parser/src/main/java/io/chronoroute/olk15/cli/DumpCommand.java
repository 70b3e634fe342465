package io.chronoroute.olk15.cli;

import io.chronoroute.olk15.Olk15Parser;
import io.chronoroute.olk15.io.Olk15FormatException;
import io.chronoroute.olk15.model.Olk15Event;
import io.chronoroute.olk15.model.Olk15Tags;
import io.chronoroute.olk15.model.PropertyType;
import io.chronoroute.olk15.model.PropertyValue;
import io.chronoroute.olk15.model.RawProperty;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** Prints every property of one file (tag, type, offset, length, decoded value), then the mapped event. */
@Command(name = "dump", mixinStandardHelpOptions = true,
        description = "Print every property of an .olk15Event file (like POI's HSMFDump).")
final class DumpCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "FILE", description = "the .olk15Event file")
    Path file;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        Olk15Event e;
        try {
            e = Olk15Parser.parse(file);
        } catch (Olk15FormatException ex) {
            err.println("not a valid .olk15Event: " + ex.getMessage());
            return Olk15Cli.EXIT_DATA_ERROR;
        } catch (IOException ex) {
            err.println("cannot read " + file + ": " + ex);
            return Olk15Cli.EXIT_DATA_ERROR;
        }
        out.println("file " + file + "  record id " + e.recordId() + "  " + e.properties().size() + " properties");
        out.println("TAG         TYPE           OFFSET      LEN  VALUE");
        print(out, e.properties(), "");
        out.println();
        out.println("decoded event:");
        out.println("  subject        " + e.subject());
        out.println("  location       " + e.location());
        out.println("  start / end    " + e.start() + " / " + e.end());
        out.println("  local          " + e.localStart() + " / " + e.localEnd());
        out.println("  allDay         " + e.allDay() + "   recurring " + e.recurring() + "   cancelled "
                + e.cancelled() + "   busy " + e.busyStatus());
        out.println("  uid / uuid     " + e.icalUid() + " / " + e.recordUuid());
        out.println("  master / recId " + e.masterRecordId() + " / " + e.recurrenceId());
        out.println("  organizer      " + e.organizerName() + " <" + e.organizerAddress() + ">");
        e.attendees().forEach(a -> out.println("  attendee       " + a.role() + " " + a.name() + " <" + a.address()
                + ">"));
        out.println("  time zone      " + e.timeZone());
        out.println("  recurrence     " + (e.recurrence() == null ? null : e.recurrence().rrule()
                + " " + e.recurrence()));
        out.println("  body text      " + (e.bodyText() == null ? null : e.bodyText().replace("\n", "\\n")));
        e.problems().forEach(p -> out.println("problem: " + p));
        out.flush();
        return 0;
    }

    private static void print(PrintWriter out, List<RawProperty> props, String indent) {
        for (RawProperty p : props) {
            PropertyType t = p.propertyType();
            out.printf("%s%s  %-13s  0x%08X  %5d  %s%n", indent, Olk15Tags.hex(p.tag()),
                    t == PropertyType.UNKNOWN ? String.format("0x%04X?", p.type()) : t.name(), p.offset(), p.length(),
                    p.value() instanceof PropertyValue.Opaque o ? o.display() + " " + hex(p.bytes()) : p.value().display());
            if (p.value() instanceof PropertyValue.SubRecord s) {
                print(out, s.children(), indent + "    ");
            }
        }
    }

    private static String hex(byte[] b) {
        int n = Math.min(b.length, 48);
        return HexFormat.ofDelimiter(" ").formatHex(b, 0, n) + (b.length > n ? " ..." : "");
    }
}
