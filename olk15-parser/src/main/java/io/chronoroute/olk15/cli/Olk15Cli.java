package io.chronoroute.olk15.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code java -jar olk15-parser-*-cli.jar dump FILE | discover DATA_DIR | generate PROFILE_DIR}. */
@Command(name = "olk15", mixinStandardHelpOptions = true, version = "olk15-parser 0.1.0",
        description = "Outlook for Mac (.olk15Event / Outlook.sqlite) inspection tools.",
        subcommands = {DumpCommand.class, DiscoverCommand.class, GenerateCommand.class})
public final class Olk15Cli implements Runnable {

    /** Exit code when the input data is unusable (format error, missing folder, unknown account). */
    public static final int EXIT_DATA_ERROR = 3;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Olk15Cli()).execute(args));
    }

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }
}
