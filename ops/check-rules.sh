#!/usr/bin/env bash
# Checks the Prometheus rules and runs their unit tests, with the default selector and with
# others (rendered by ops/render.py). Needs promtool (2.42 or newer) on the PATH, or PROMTOOL
# pointing at it, and python3 with PyYAML. Exits non-zero on any error.
#
#   bash ops/check-rules.sh
set -euo pipefail

cd "$(dirname "$0")/.."

PROMTOOL="${PROMTOOL:-promtool}"
PYTHON="${PYTHON:-$( [ -x /usr/bin/python3 ] && echo /usr/bin/python3 || command -v python3)}"
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

# The same rules and tests rendered with other selectors (ops/render.py): the Kubernetes one,
# a namespace and a job regex. The tests must pass with each.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for selector in 'job="ws-manager-sample"' 'namespace="trading"' 'job=~"my-service|other-service"'; do
  dir="$work/$(echo "$selector" | tr -c 'A-Za-z0-9' '_')"
  "$PYTHON" ops/render.py --selector "$selector" --out "$dir" >/dev/null
  echo "== selector $selector: promtool check rules + test rules"
  "$PROMTOOL" check rules "$dir/ws-manager-rules.yml" >/dev/null
  "$PROMTOOL" test rules "$dir"/rules-tests/*.yml
done

echo "== python3 ops/check_alert_docs.py"
"$PYTHON" ops/check_alert_docs.py

echo "check-rules: OK"
