package io.chronoroute.olk15.cli;

import io.chronoroute.olk15.fixture.CorpusGenerator;
import io.chronoroute.olk15.fixture.CorpusSummary;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * Writes a SYNTHETIC Outlook for Mac profile (event files + Outlook.sqlite) for demos, tests and benchmarks:
 * the seed's headline shape by default (9,095 events across 256 account directories).
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Write a synthetic Outlook for Mac profile (Data/Events/<n>/*.olk15Event + Data/Outlook.sqlite).")
final class GenerateCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "PROFILE_DIR", description = "folder to create the profile in")
    Path root;

    @Option(names = "--events", defaultValue = "9095", description = "number of event files (default ${DEFAULT-VALUE})")
    int events;

    @Option(names = "--accounts", defaultValue = "256", description = "account directories (default ${DEFAULT-VALUE})")
    int accounts;

    @Option(names = "--seed", defaultValue = "9095", description = "random seed; same seed, same bytes (default ${DEFAULT-VALUE})")
    long seed;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        try {
            CorpusSummary s = CorpusGenerator.generate(root, seed, events, accounts);
            out.println("synthetic profile: " + s.events() + " events in " + s.accounts() + " accounts");
            out.println("  events dir  " + s.eventsDir());
            out.println("  sqlite      " + s.sqlitePath());
            out.println("  series " + s.recurringMasters() + ", exceptions " + s.exceptions() + ", all-day " + s.allDay()
                    + ", with attendees " + s.withAttendees() + ", zones " + s.zones());
            return 0;
        } catch (IOException | IllegalArgumentException e) {
            spec.commandLine().getErr().println("cannot generate: " + e.getMessage());
            return Olk15Cli.EXIT_DATA_ERROR;
        }
    }
}
