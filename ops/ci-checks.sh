#!/usr/bin/env bash
# The operations checks .ci/run runs after the Maven build: the renderings match their source,
# rules (promtool check + unit tests, several selectors), dashboard structure, Alertmanager
# routing (amtool), and the end-to-end run against a real Prometheus. The Python scripts run
# with Debian's python3 (/usr/bin/python3 with python3-yaml), or with $PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHON="${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}"
"$PYTHON" ops/render.py --check
bash ops/check-rules.sh
"$PYTHON" ops/check_dashboard.py
"$PYTHON" ops/check_dashboard.py --dashboard deploy/kubernetes/monitoring/dashboard/grafana-dashboard.json
"$PYTHON" ops/check_alertmanager.py
bash ops/e2e.sh
