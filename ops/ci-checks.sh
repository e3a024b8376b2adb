#!/usr/bin/env bash
# The operations checks .ci/run runs after the Maven build: rules (promtool check + unit tests),
# dashboard structure, and the end-to-end run against a real Prometheus.
set -euo pipefail
cd "$(dirname "$0")/.."
bash ops/check-rules.sh
python3 ops/check_dashboard.py
bash ops/e2e.sh
