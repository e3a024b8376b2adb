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

E2E_NAME=spring-boot-e2e
# shellcheck source=ops/e2e-lib.sh
. ops/e2e-lib.sh

BOOT3_PORT=$(free_port)
BOOT4_PORT=$(free_port)
PROM_PORT=$(free_port)

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

prometheus_config /actuator/prometheus
cat >>"$WORK/prometheus.yml" <<YAML
    static_configs:
      - targets: ['127.0.0.1:$BOOT3_PORT']
        labels:
          boot: '3.5'
      - targets: ['127.0.0.1:$BOOT4_PORT']
        labels:
          boot: '4.0'
YAML

start_prometheus "$WORK/prometheus.yml" "$PROM_PORT"
wait_until 60 "both targets up" targets_up 2
echo "spring-boot-e2e: both targets up"

wait_until 120 "every rule evaluated with health ok" rules_healthy
echo "spring-boot-e2e: $(rules_healthy) rules loaded, every one with health ok"

# rate() over 1m needs a few samples
wait_until 90 "a non-zero message rate" positive 'sum(rate(ws_manager_messages_received_total[1m]))'

echo "spring-boot-e2e: running every dashboard query"
python3 ops/dashboard_queries.py --prometheus "$PROM" --dashboard grafana-dashboard.json \
  ${DASHBOARD_ALLOW_EMPTY:+--allow-empty "$DASHBOARD_ALLOW_EMPTY"} \
  || fail "dashboard queries"
echo "spring-boot-e2e: OK"
