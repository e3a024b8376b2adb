#!/usr/bin/env bash
# The operations kit against the Spring Boot example: the example on Spring Boot 3.5 and on 4.0,
# each scraped at /actuator/prometheus (the starter registers the manager's series natively on
# Boot's registry) by a real Prometheus with ws-manager-rules.yml loaded. Asserts: both targets
# up, every rule evaluates with health "ok", every dashboard query returns data. Prints each app's
# ws_manager_ series. Everything started here is stopped by process id.
#
# Needs: java, python3, curl, prometheus (Debian package `prometheus`).
set -euo pipefail
cd "$(dirname "$0")/.."

BOOT3=integrations/spring-boot-example/target/ws-manager-spring-boot-example.jar
BOOT4=integrations/spring-boot-example-boot4/target/ws-manager-spring-boot-example-boot4.jar
if [ ! -f "$BOOT3" ] || [ ! -f "$BOOT4" ]; then
  ./mvnw -B -q -DskipTests -pl integrations/spring-boot-example,integrations/spring-boot-example-boot4 -am package
fi

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
  echo "spring-boot-e2e: FAILED: $*" >&2
  for log in "$WORK"/*.log; do echo "--- $log (last lines)" >&2; tail -n 30 "$log" >&2; done
  exit 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

wait_until() {
  local seconds=$1 what=$2; shift 2
  for _ in $(seq 1 "$seconds"); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 1
  done
  fail "timed out after ${seconds}s waiting for $what"
}

BOOT3_PORT=$(free_port)
BOOT4_PORT=$(free_port)
PROM_PORT=$(free_port)
PROM="http://127.0.0.1:$PROM_PORT"

echo "spring-boot-e2e: starting the example on Boot 3.5 (:$BOOT3_PORT) and Boot 4.0 (:$BOOT4_PORT)"
PORT=$BOOT3_PORT java -jar "$BOOT3" >"$WORK/boot3.log" 2>&1 &
PIDS+=($!)
PORT=$BOOT4_PORT java -jar "$BOOT4" >"$WORK/boot4.log" 2>&1 &
PIDS+=($!)
one_connection() {
  curl -sf "http://127.0.0.1:$1/actuator/prometheus" | grep -q '^ws_manager_active_connections{.*} 1.0$'
}
for port in "$BOOT3_PORT" "$BOOT4_PORT"; do
  wait_until 120 "ws_manager_active_connections 1 on :$port" one_connection "$port"
done
for port in "$BOOT3_PORT" "$BOOT4_PORT"; do
  echo "--- curl -s localhost:$port/actuator/prometheus | grep ws_manager_"
  curl -s "http://127.0.0.1:$port/actuator/prometheus" | grep ws_manager_
done

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
    metrics_path: /actuator/prometheus
    static_configs:
      - targets: ['127.0.0.1:$BOOT3_PORT']
        labels:
          boot: '3.5'
      - targets: ['127.0.0.1:$BOOT4_PORT']
        labels:
          boot: '4.0'
YAML

echo "spring-boot-e2e: starting Prometheus on :$PROM_PORT"
prometheus --config.file="$WORK/prometheus.yml" --storage.tsdb.path="$WORK/data" \
  --web.listen-address="127.0.0.1:$PROM_PORT" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
PIDS+=($!)
wait_until 60 "Prometheus ready" curl -sf -o /dev/null "$PROM/-/ready"

query() {
  curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}
targets_up() { [ "$(query 'count(up{job="ws-manager"} == 1)')" = "2" ]; }
wait_until 60 "both targets up" targets_up
echo "spring-boot-e2e: both targets up"

rules_healthy() {
  curl -sf "$PROM/api/v1/rules" | python3 -c '
import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
rules = [r for g in groups for r in g["rules"]]
if not rules or [r for r in rules if r.get("health") != "ok"]:
    sys.exit(1)
print(len(rules))'
}
wait_until 120 "every rule evaluated with health ok" rules_healthy
echo "spring-boot-e2e: $(rules_healthy) rules loaded, every one with health ok"

# rate() over 1m needs a few samples
has_rate() { [ -n "$(query 'sum(rate(ws_manager_messages_received_total[1m])) > 0')" ]; }
wait_until 90 "a non-zero message rate" has_rate

echo "spring-boot-e2e: running every dashboard query"
python3 ops/dashboard_queries.py --prometheus "$PROM" --dashboard grafana-dashboard.json \
  ${DASHBOARD_ALLOW_EMPTY:+--allow-empty "$DASHBOARD_ALLOW_EMPTY"} \
  || fail "dashboard queries"
echo "spring-boot-e2e: OK"
