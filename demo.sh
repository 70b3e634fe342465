#!/usr/bin/env bash
# The main job on the embedded default: a master (embedded store under ./chronoroute-data/demo) and a demo agent
# that reads the bundled sample .ics exports. No servers needed. Ctrl-C stops both.
#
# Demo-only credentials are set below. A real deployment sets its own (README: Configuration); nothing here is a
# built-in default of the apps.
set -euo pipefail
cd "$(dirname "$0")"

DATA=./chronoroute-data/demo
MASTER_PORT=${MASTER_PORT:-8008}
AGENT_PORT=${AGENT_PORT:-8009}
export DEMO_ADMIN_TOKEN=demo-admin-token DEMO_FEED_TOKEN=demo-feed-token
DEMO_ENROLLMENT=demo-enrollment-secret DEMO_CONSOLE_PASSWORD=demo-console-password

if [ ! -f master-routes/target/chronoroute-master.jar ] || [ ! -f agent-routes/target/chronoroute-agent.jar ] \
   || [ -n "$(find master-routes/src agent-routes/src processors/src src-routes-yaml olk15-parser/src hawtio/src \
              -newer agent-routes/target/chronoroute-agent.jar -type f 2>/dev/null | head -n1)" ]; then
  echo "== building (first run takes a few minutes) =="
  ./mvnw -B -q -DskipTests package
fi

mkdir -p "$DATA/exports" "$DATA/sources" "$DATA/logs"
# The agent watches a copy of the sample exports: edit, add or delete .ics files there and watch the feed follow.
cp -rn demo/ics-exports/. "$DATA/exports/"
# The demo's copy is writable: edits made in the web console are written into these files by the agent.
cp src-routes-yaml/examples/agent/demo-ics.camel.yaml "$DATA/sources/demo-ics.camel.yaml"
printf '      - name: allowEventUpdates\n        value: "true"\n' >> "$DATA/sources/demo-ics.camel.yaml"
# ... and a synthetic Outlook for Mac profile (olk15 files + Outlook.sqlite, written by the olk15 CLI), read by the
# Outlook-for-Mac source exactly as it would read ~/Library/Group Containers/.../Main Profile/Data.
if [ ! -d "$DATA/outlook-mac/Data/Events" ]; then
  java -jar olk15-parser/target/olk15-parser-*-cli.jar generate "$DATA/outlook-mac" --events 300 --accounts 6 >/dev/null
fi
cp src-routes-yaml/examples/agent/outlook-mac.camel.yaml "$DATA/sources/"

export MALLOC_ARENA_MAX=2   # fewer glibc malloc arenas: ~100 MB less resident memory per JVM
# The master's footprint settings, measured by ./bench.sh pipeline (README, Benchmarks): a heap cap that a
# 10,000-event heartbeat fits in, G1 returning unused heap and glibc trimming freed native memory when idle.
MASTER_JVM="-XX:+ExitOnOutOfMemoryError -Xms96m -Xmx384m -XX:+UseG1GC -XX:MaxGCPauseMillis=500 -XX:G1PeriodicGCInterval=5000 -XX:MinHeapFreeRatio=20 -XX:MaxHeapFreeRatio=30 -XX:TrimNativeHeapInterval=5000 -XX:MaxMetaspaceSize=160m -XX:ReservedCodeCacheSize=64m -Xss512k -Djdk.nio.maxCachedBufferSize=262144"
JVM="-XX:+ExitOnOutOfMemoryError -Xms64m -Xmx512m -XX:+UseG1GC -XX:G1PeriodicGCInterval=5000 -XX:MaxMetaspaceSize=192m -Xss512k"
java $MASTER_JVM -jar master-routes/target/chronoroute-master.jar \
  --server.port="$MASTER_PORT" --chronoroute.data-dir="$DATA/master" \
  --chronoroute.admin-token="$DEMO_ADMIN_TOKEN" --chronoroute.feed-token="$DEMO_FEED_TOKEN" \
  --chronoroute.enrollment-secret="$DEMO_ENROLLMENT" --chronoroute.console.password="$DEMO_CONSOLE_PASSWORD" \
  --chronoroute.events.default-target=demo-agent/demo-ics \
  > "$DATA/logs/master.log" 2>&1 &
MASTER=$!
java $JVM -jar agent-routes/target/chronoroute-agent.jar \
  --server.port="$AGENT_PORT" --chronoroute.data-dir="$DATA/agent" --chronoroute.sources-dir="$DATA/sources" \
  --chronoroute.agent.id=demo-agent --chronoroute.agent.name="Demo agent" \
  --chronoroute.agent.master-url="http://127.0.0.1:$MASTER_PORT" \
  --chronoroute.agent.enrollment-secret="$DEMO_ENROLLMENT" --chronoroute.agent.heartbeat-interval=5s \
  --chronoroute.demo-dir="$(cd "$DATA/exports" && pwd)" \
  --chronoroute.outlook-mac.events-dir="$(cd "$DATA/outlook-mac/Data/Events" && pwd)" \
  --chronoroute.outlook-mac.sqlite-path="$(cd "$DATA/outlook-mac/Data" && pwd)/Outlook.sqlite" \
  --chronoroute.console.password="$DEMO_CONSOLE_PASSWORD" \
  > "$DATA/logs/agent.log" 2>&1 &
AGENT=$!
trap 'echo; echo "stopping"; kill $AGENT $MASTER 2>/dev/null; wait 2>/dev/null' INT TERM EXIT

echo "== starting master (pid $MASTER) and demo agent (pid $AGENT); logs in $DATA/logs =="
for i in $(seq 1 120); do
  if curl -fs "http://127.0.0.1:$MASTER_PORT/health" >/dev/null 2>&1 \
     && curl -fs -H "Authorization: Bearer $DEMO_ADMIN_TOKEN" "http://127.0.0.1:$MASTER_PORT/sync/events" 2>/dev/null | grep -q '"uid"'; then
    break
  fi
  if ! kill -0 $MASTER 2>/dev/null || ! kill -0 $AGENT 2>/dev/null; then
    echo "an app stopped; see $DATA/logs"; tail -n 30 "$DATA/logs/master.log" "$DATA/logs/agent.log"; exit 1
  fi
  sleep 1
done

cat <<TXT

Chronoroute demo is running.
  Web console:         http://127.0.0.1:$MASTER_PORT/   (user admin, password $DEMO_CONSOLE_PASSWORD)
  Consolidated calendar (subscribe in any calendar app):
      http://127.0.0.1:$MASTER_PORT/calendar.ics?token=$DEMO_FEED_TOKEN
  FullCalendar JSON:   curl -H "Authorization: Bearer $DEMO_ADMIN_TOKEN" http://127.0.0.1:$MASTER_PORT/sync/events/fullcalendar
  Agents and stats:    curl -H "Authorization: Bearer $DEMO_ADMIN_TOKEN" http://127.0.0.1:$MASTER_PORT/sync/agents/status
  API description:     http://127.0.0.1:$MASTER_PORT/api-doc   (interactive: http://127.0.0.1:$MASTER_PORT/console/api.html)
  Hawtio (routes):     http://127.0.0.1:$MASTER_PORT/actuator/hawtio/   (user admin, password $DEMO_CONSOLE_PASSWORD)
  The agent watches:   $DATA/exports   (add, edit or delete .ics files; changes reach the feed within seconds)
                       $DATA/outlook-mac   (a synthetic Outlook for Mac profile: 300 events in 6 accounts)

Press Ctrl-C to stop.
TXT
wait $MASTER
