# Shared by the end-to-end scripts (ops/e2e.sh, .ci/spring-boot-e2e.sh): a work directory and the
# processes started in it, stopped by process id on exit; polling; a real Prometheus and queries
# against it. Source it after setting E2E_NAME (the prefix of every line printed).
#
# Needs: python3, curl, prometheus (Debian package `prometheus`).

WORK=$(mktemp -d)
PIDS=()
e2e_cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$WORK"
}
trap e2e_cleanup EXIT

# fail MESSAGE: prints it with the last lines of every log in $WORK, and exits 1
fail() {
  echo "$E2E_NAME: FAILED: $*" >&2
  for log in "$WORK"/*.log; do echo "--- $log (last lines)" >&2; tail -n 30 "$log" >&2; done
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

# prometheus_config METRICS_PATH: writes $WORK/prometheus.yml up to the ws-manager job's
# metrics_path, with ws-manager-rules.yml loaded and a 2 s scrape; the caller appends the rest of
# the job (params, static_configs)
prometheus_config() {
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
    metrics_path: $1
YAML
}

# start_prometheus CONFIG PORT: starts Prometheus on 127.0.0.1:PORT, its data in $WORK, and waits
# until it is ready; sets PROM to its URL
start_prometheus() {
  PROM="http://127.0.0.1:$2"
  echo "$E2E_NAME: starting Prometheus on :$2"
  prometheus --config.file="$1" --storage.tsdb.path="$WORK/data" \
    --web.listen-address="127.0.0.1:$2" --log.level=warn >"$WORK/prometheus.log" 2>&1 &
  PIDS+=($!)
  wait_until 60 "Prometheus ready" curl -sf -o /dev/null "$PROM/-/ready"
}

# query PROMQL: prints the first sample's value, or nothing
query() {
  curl -sf --get "$PROM/api/v1/query" --data-urlencode "query=$1" | python3 -c '
import json, sys
r = json.load(sys.stdin)["data"]["result"]
print(r[0]["value"][1] if r else "")'
}

# positive PROMQL: the first sample's value is above zero
positive() {
  local v
  v=$(query "$1")
  python3 -c "import sys; sys.exit(0 if float('${v:-0}') > 0 else 1)"
}

# targets_up N: N targets of job ws-manager are up
targets_up() { [ "$(query 'count(up{job="ws-manager"} == 1)')" = "$1" ]; }

# rules_healthy: every loaded rule has been evaluated with health "ok"; prints how many there are
rules_healthy() {
  curl -sf "$PROM/api/v1/rules" | python3 -c '
import json, sys
groups = json.load(sys.stdin)["data"]["groups"]
rules = [r for g in groups for r in g["rules"]]
if not rules or [r for r in rules if r.get("health") != "ok"]:
    sys.exit(1)
print(len(rules))'
}
