#!/usr/bin/env bash
# Runs one of the committed benchmarks on this machine and prints its figures.
#   ./bench.sh pipeline   agent -> master: initial sync of 9,095 events, heartbeat bytes, 10k ingest, RSS
#   ./bench.sh olk15      olk15-parser on the 9,095-event corpus: parse throughput, no-change rescan, read cost
#   ./bench.sh google     9,095 consolidated events into the fake Google Calendar: calls and quota-bound time
set -euo pipefail
cd "$(dirname "$0")"
./mvnw -B -q -DskipTests package
exec java -jar benchmarks/target/chronoroute-benchmarks.jar "$@"
