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

WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

fail() {
  echo "e2e: FAILED: $*" >&2
  for log in "$WORK"/*.log; do echo "--- $log (last lines)" >&2; tail -n 20 "$log" >&2; done
  exit 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# wait_until SECONDS DESCRIPTION COMMAND...: polls COMMAND every second until it succeeds
wait_until() {
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  fail "timed out after ${seconds}s waiting for $what"
}

STABLE_PORT=$(free_port)
CANARY_PORT=$(free_port)
PROM_PORT=$(free_port)
PROM="http://127.0.0.1:$PROM_PORT"

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

cp ws-manager-rules.yml "$WORK/rules.yml"
cat >"$WORK/prometheus.yml" <<YAML
global:
  scrape_interval: 2s
  scrape_timeout: 2s
  evaluation_interval: 5s
rule_files:
  - $WORK/rules.yml
scrape_configs:
  - job_name: ws-manager
    metrics_path: /api/ws/metrics
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

echo "e2e: starting Prometheus on :$PROM_PORT"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
wait_until 60 "Prometheus ready" curl -sf -o /dev/null "$PROM/-/ready"

query() { # query PROMQL -> prints the first sample's value, or nothing
  curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}
targets_up() { [ "$(query 'count(up{job="ws-manager"} == 1)')" = "2" ]; }
wait_until 60 "both targets up" targets_up
echo "e2e: both targets up"

rules_healthy() {
  curl -sf "$PROM/api/v1/rules" | python3 -c '
import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
rules = [r for g in groups for r in g["rules"]]
pending = [r["name"] for r in rules if r.get("health") != "ok"]
if not rules or pending:
    sys.exit(1)
print(len(rules))'
}
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
retry_rate_positive() {
  rate=$(query 'sum(rate(ws_manager_retry_count_total[1m]))')
  python3 -c "import sys; sys.exit(0 if float('${rate:-0}') > 0 else 1)"
}
wait_until 60 "a non-zero retry rate" retry_rate_positive

# The demo streams answer application heartbeats, carry event times and are in groups: each of
# those series must have data, not just exist.
positive() { # positive PROMQL: the first sample's value is above zero
  v=$(query "$1")
  python3 -c "import sys; sys.exit(0 if float('${v:-0}') > 0 else 1)"
}
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
