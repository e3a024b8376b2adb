#!/usr/bin/env bash
# End-to-end check of the operations kit against real processes on loopback:
#   two sample apps (track=stable and track=canary, DEMO_CHAOS=true) scraped every 2 s by a real
#   Prometheus server with ws-manager-rules.yml loaded. Asserts: both targets up, promtool finds
#   nothing to lint in a real scrape, every rule evaluates with health "ok", the retry counters
#   move, and every dashboard query returns data. Everything started here is stopped by process id.
#
# Needs: java, python3, curl, prometheus and promtool (Debian package `prometheus`).
# Usage: ops/e2e.sh            (builds the sample app jar if it is missing)
set -euo pipefail
cd "$(dirname "$0")/.."

JAR=sample-app/target/ws-manager-sample-app.jar
[ -f "$JAR" ] || ./mvnw -B -q -DskipTests package

E2E_NAME=e2e
# shellcheck source=ops/e2e-lib.sh
. ops/e2e-lib.sh

STABLE_PORT=$(free_port)
CANARY_PORT=$(free_port)
PROM_PORT=$(free_port)

echo "e2e: starting sample apps (stable :$STABLE_PORT, canary :$CANARY_PORT) with DEMO_CHAOS=true"
PORT=$STABLE_PORT DEMO_CHAOS=true java -jar "$JAR" >"$WORK/stable.log" 2>&1 &
PIDS+=($!)
PORT=$CANARY_PORT DEMO_CHAOS=true java -jar "$JAR" >"$WORK/canary.log" 2>&1 &
PIDS+=($!)
for port in "$STABLE_PORT" "$CANARY_PORT"; do
  wait_until 60 "sample app on :$port" curl -sf -o /dev/null "http://127.0.0.1:$port/api/ws/metrics"
done

echo "e2e: promtool check metrics on a real scrape"
lint=$(curl -sf "http://127.0.0.1:$STABLE_PORT/api/ws/metrics?format=prometheus" | promtool check metrics 2>&1) \
  || fail "promtool check metrics failed: $lint"
[ -z "$lint" ] || fail "promtool check metrics printed: $lint"

prometheus_config /api/ws/metrics
cat >>"$WORK/prometheus.yml" <<YAML
    params:
      format: [prometheus]
    static_configs:
      - targets: ['127.0.0.1:$STABLE_PORT']
        labels:
          track: stable
      - targets: ['127.0.0.1:$CANARY_PORT']
        labels:
          track: canary
YAML
promtool check config "$WORK/prometheus.yml" >/dev/null || fail "promtool check config"

start_prometheus "$WORK/prometheus.yml" "$PROM_PORT"
wait_until 60 "both targets up" targets_up 2
echo "e2e: both targets up"

wait_until 120 "every rule evaluated with health ok" rules_healthy
echo "e2e: $(rules_healthy) rules loaded, every one with health ok"

first_retries=$(query 'sum(ws_manager_retry_count_total)')
retries_moved() {
  now=$(query 'sum(ws_manager_retry_count_total)')
  python3 -c "import sys; sys.exit(0 if float('${now:-0}') > float('${first_retries:-0}') else 1)"
}
wait_until 90 "retry counters to move" retries_moved
echo "e2e: retries moved from ${first_retries:-0} to $(query 'sum(ws_manager_retry_count_total)')"

# rate() over 1m needs a few samples of the moved counters
wait_until 60 "a non-zero retry rate" positive 'sum(rate(ws_manager_retry_count_total[1m]))'

# The demo streams answer application heartbeats, carry event times and are in groups: each of
# those series must have data, not just exist.
wait_until 60 "answered heartbeats" positive 'sum(ws_manager_heartbeats_total{result="success"})'
wait_until 60 "heartbeat round trips" positive 'sum(ws_manager_heartbeat_rtt_seconds_count)'
wait_until 60 "feed delays" positive 'sum(ws_manager_message_delay_seconds_count)'
wait_until 60 "open connections in groups" positive 'sum(ws_manager_active_connections{group!=""})'
wait_until 60 "a p95 feed delay" positive \
  'histogram_quantile(0.95, sum(rate(ws_manager_message_delay_seconds_bucket[1m])) by (le))'
# DEMO_CHAOS delays a connection's heartbeat replies every 15 s and skews its clock every 15 s
wait_until 90 "a heartbeat timeout" positive 'sum(ws_manager_heartbeats_total{result="timeout"})'
wait_until 90 "a clock-skewed message" positive 'sum(ws_manager_message_delay_negative_total)'
echo "e2e: heartbeats $(query 'sum(ws_manager_heartbeats_total{result="success"})') answered," \
  "$(query 'sum(ws_manager_heartbeats_total{result="timeout"})') timed out;" \
  "$(query 'sum(ws_manager_message_delay_seconds_count)') delays," \
  "$(query 'sum(ws_manager_message_delay_negative_total)') skewed"

echo "e2e: running every dashboard query"
python3 ops/dashboard_queries.py --prometheus "$PROM" --dashboard grafana-dashboard.json \
  || fail "dashboard queries"

echo "e2e: OK"
