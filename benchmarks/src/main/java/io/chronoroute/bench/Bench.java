package io.chronoroute.bench;

import java.util.Arrays;

/** Entry point of the benchmark jar: {@code java -jar chronoroute-benchmarks.jar <pipeline|olk15|google|failover|twoway|sources> [options]}. */
public final class Bench {

    private Bench() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            System.err.println("usage: bench.sh <pipeline|olk15|google|failover|twoway|sources> [options]");
            System.exit(2);
        }
        String[] rest = Arrays.copyOfRange(args, 1, args.length);
        switch (args[0]) {
            case "pipeline" -> PipelineBench.main(rest);
            case "olk15" -> Olk15Bench.main(rest);
            case "failover" -> FailoverBench.main(rest);
            case "twoway" -> TwoWayBench.main(rest);
            case "sources" -> {
                // the agent's live sources on a 5,000-event calendar: CalDAV on a real Radicale, then the fake EWS
                String only = FailoverBench.stringArg(rest, "--only", "all");
                if (!only.equals("ews")) {
                    CalDavSourceBench.main(rest);
                }
                if (!only.equals("caldav")) {
                    EwsSourceBench.main(rest);
                }
            }
            default -> {
                System.err.println("unknown benchmark " + args[0]);
                System.exit(2);
            }
        }
    }
}
