#!/usr/bin/env bash
# Runs one of the committed benchmarks on this machine and prints its figures.
#   ./bench.sh pipeline   agent -> master: initial sync of 9,095 events, heartbeat bytes, 10k ingest, RSS
#   ./bench.sh olk15      olk15-parser on the 9,095-event corpus: parse throughput, no-change rescan, read cost
#   ./bench.sh google [--real-time] [--events N] [--batch-size N]
#                         9,095 consolidated events into the fake Google Calendar (600 requests/min per user):
#                         write calls, HTTP requests and time of the initial sync, a no-change cycle and a 1% change,
#                         against the quota-limited minimum. Writes go in batch requests of 50 (--batch-size 0: one
#                         request per write). Virtual time by default (~1-2 min); --real-time uses the
#                         wall clock (~16 min). Driver: master-routes/src/test/java/.../google/GoogleDestinationBench.java
#   ./bench.sh graph [--real-time] [--events N] [--rate 15] [--burst 900]
#                         the same 9,095 events into the fake Microsoft Graph (Exchange Online's per-app per-mailbox
#                         limit: 10,000 requests per 10 minutes, batch parts counted, 4 concurrent; 429 Retry-After
#                         above it): write calls, API calls, HTTP requests and time of the initial sync, a no-change
#                         cycle and a 1% change, against the window's hard minimum and the sustained quota time.
#                         JSON batches of 20. Virtual time by default (~1 min); --real-time uses the wall clock
#                         (~11 min). Driver: master-routes/src/test/java/.../graph/GraphDestinationBench.java
#   ./bench.sh failover [--kills 10] [--masters 3] [--lease 10s] [--interval 1s] [--start-minutes 15]
#                         masters on one redis-server, leader election on: kill -9 of the leader until another
#                         master reports leading, median and max over 10 kills (each killed master restarts)
#   ./bench.sh twoway [--edits 50] [--events 10] [--idle-cycles 5] [--heartbeat 1s] [--poll 300] [--run-period 1000]
#                         two-way round trip: master + agent processes, a real Radicale as CalDAV destination, a
#                         writable ICS folder; 50 title edits made in Radicale -> time until the origin's file changed
#                         (p50/p95 beside the destination run interval, heartbeat and folder poll), then idle cycles
#                         whose updates queued / destination writes / Radicale changes must all be 0 (needs radicale)
#   ./bench.sh sources [--only caldav|ews] [--events 5000] [--interval 1000] [--mode auto|etag|both]
#                         the agent's live sources (agent jar as a process behind a counting proxy): a 5,000-event
#                         calendar on a real Radicale (CalDAV source: sync-collection and ETag listing) and on the
#                         fake EWS: time and bytes of the first full read, requests and bytes of a no-change poll and
#                         of a 1% change. Drivers: benchmarks/.../CalDavSourceBench.java, EwsSourceBench.java
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -B -q -DskipTests package
if [ "${1:-}" = "google" ] || [ "${1:-}" = "graph" ]; then
    which="$1"
    shift
    # The Google driver lives in master-routes' test sources (it needs the test fakes), and master-routes' jar is a
    # Spring Boot repackaged jar, so it runs from the class folders: master-routes' test-classes and classes, plus
    # its test-scope classpath. Computing that in the same Maven session as a compile phase makes the reactor
    # siblings (processors, test-support, ...) resolve to their target/classes; nothing needs to be installed.
    ./mvnw -B -q -pl master-routes -am test-compile dependency:build-classpath \
        -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
    m=master-routes/target
    if [ "$which" = "graph" ]; then
        main=io.chronoroute.master.destination.graph.GraphDestinationBench
    else
        main=io.chronoroute.master.destination.google.GoogleDestinationBench
    fi
    exec java -cp "$m/test-classes:$m/classes:$(cat "$m/bench.classpath")" "$main" "$@"
fi
exec java -jar benchmarks/target/chronoroute-benchmarks.jar "$@"
