#!/usr/bin/env bash
# Checks the Prometheus rules and runs their unit tests. Needs promtool (2.42 or newer)
# on the PATH, or PROMTOOL pointing at it. Exits non-zero on any error.
#
#   bash ops/check-rules.sh
set -euo pipefail

cd "$(dirname "$0")/.."

PROMTOOL="${PROMTOOL:-promtool}"
if ! command -v "$PROMTOOL" >/dev/null 2>&1; then
  echo "check-rules: promtool not found (install the prometheus package or set PROMTOOL)" >&2
  exit 2
fi

shopt -s nullglob
tests=(ops/rules-tests/*.yml)
if [ ${#tests[@]} -eq 0 ]; then
  echo "check-rules: no test files in ops/rules-tests/" >&2
  exit 1
fi

echo "== promtool check rules ws-manager-rules.yml"
"$PROMTOOL" check rules ws-manager-rules.yml

echo "== promtool test rules ${tests[*]}"
"$PROMTOOL" test rules "${tests[@]}"

if command -v python3 >/dev/null 2>&1; then
  echo "== python3 ops/check_alert_docs.py"
  python3 ops/check_alert_docs.py
else
  echo "check-rules: python3 not found, skipping the runbook link check" >&2
fi

echo "check-rules: OK"
