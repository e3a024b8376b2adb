#!/usr/bin/env bash
# The operations checks .ci/run runs after the Maven build: the renderings match their source,
# rules (promtool check + unit tests, several selectors), dashboard structure, Alertmanager
# routing (amtool), the Kubernetes overlays (kubectl kustomize + schema validation), and the
# end-to-end run against a real Prometheus. The Python scripts run with Debian's python3
# (/usr/bin/python3 with python3-yaml and python3-jsonschema), or with $PYTHON.
set -euo pipefail
cd "$(dirname "$0")/.."
export PYTHON="${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}"
"$PYTHON" ops/render.py --check
bash ops/check-rules.sh
"$PYTHON" ops/check_dashboard.py
"$PYTHON" ops/check_dashboard.py --dashboard deploy/kubernetes/monitoring/dashboard/grafana-dashboard.json
"$PYTHON" ops/check_alertmanager.py
"$PYTHON" ops/validate_k8s.py
bash ops/e2e.sh
