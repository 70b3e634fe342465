package io.chronoroute.agent.discover;

import java.io.PrintStream;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@code java -jar agent.jar discover <kind> [options]}: connects to a calendar server with the given URL and
 * credentials, lists the calendars it finds (name, event count) and, with {@code --write-route FILE}, writes the YAML
 * source file that instantiates the kind's route template, ready for the agent's sources folder. Runs without Spring
 * (no agent state is touched). Each kind is one {@link Discoverer}; secrets are read from the environment variable
 * named by {@code --password-env}/{@code --token-env}, never from the command line, and never written into the YAML
 * file (it gets a {@code {{PLACEHOLDER}}} instead).
 */
public final class DiscoverCommand {

    private DiscoverCommand() {
    }

    /** The kinds that can be discovered, by the name given on the command line. */
    static Map<String, Discoverer> kinds() {
        Map<String, Discoverer> m = new LinkedHashMap<>();
        m.put("caldav", new io.chronoroute.agent.source.caldav.CalDavDiscoverer());
        m.put("ews", new EwsDiscoverer());
        m.put("google", new io.chronoroute.agent.source.google.GoogleDiscoverer());
        m.put("graph", new io.chronoroute.agent.source.graph.GraphDiscoverer());
        m.put("outlook", new io.chronoroute.agent.source.outlook.OutlookDiscoverer());
        return m;
    }

    /** Runs the command; returns the process exit code (0 ok, 1 server/credential problem, 2 usage). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Map<String, Discoverer> kinds = kinds();
        if (args.length < 1 || !kinds.containsKey(args[0])) {
            err.println("usage: discover <" + String.join("|", kinds.keySet()) + "> [options]; discover <kind> --help");
            return 2;
        }
        return kinds.get(args[0]).run(Arrays.copyOfRange(args, 1, args.length), System.getenv(), out, err);
    }

    /** One kind of server that {@code discover} knows. */
    public interface Discoverer {

        /**
         * @param args the options after the kind
         * @param env  the environment (secrets are read from it by the variable names the options give)
         * @return the exit code
         */
        int run(String[] args, Map<String, String> env, PrintStream out, PrintStream err);
    }
}
