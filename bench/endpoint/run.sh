#!/usr/bin/env bash
# Load figures for the metrics endpoint of the sample app, from outside, as a scraper sees it:
# keep-alive req/s and latency on 1 and 50 connections (wrk), then the time a scrape takes while
# 500 slow connections are held (half a request line that never ends, half a POST whose body never
# comes).
#
#   bench/endpoint/run.sh [path/to/ws-manager-sample-app.jar]
#
# Needs wrk (apt-get install wrk), curl and python3. PORT defaults to 3103; DURATION to 10 (s).
set -euo pipefail
cd "$(dirname "$0")/../.."

jar=${1:-sample-app/target/ws-manager-sample-app.jar}
port=${PORT:-3103}
duration=${DURATION:-10}
url="http://127.0.0.1:$port/api/ws/metrics"

PORT=$port java -jar "$jar" 2> >(grep -v " INFO " >&2) &
app=$!
slow=
cleanup() {
  [ -n "$slow" ] && kill "$slow" 2>/dev/null || true
  kill "$app" 2>/dev/null || true
  wait "$app" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 1 100); do
  curl -sf -o /dev/null "$url" && break
  sleep 0.2
done
echo "== $jar on port $port: $(curl -s "$url" | wc -c) bytes per scrape"

echo "== warm-up"
wrk -t1 -c1 -d3s "$url" >/dev/null
for c in 1 50; do
  t=$(( c < 2 ? 1 : 2 ))
  echo "== keep-alive, $c connection(s): wrk -t$t -c$c -d${duration}s --latency $url"
  wrk -t"$t" -c"$c" -d"${duration}s" --latency "$url" \
    | grep -E "Requests/sec|^ +50%|^ +99%|Socket errors|Non-2xx"
done

echo "== 500 slow connections held"
python3 bench/endpoint/slow_clients.py 127.0.0.1 "$port" 500 > /tmp/slow-clients.$$ &
slow=$!
for _ in $(seq 1 200); do   # slow_clients.py gives up connecting after 30 s
  grep -q "connected" /tmp/slow-clients.$$ 2>/dev/null && break
  sleep 0.2
done
head -1 /tmp/slow-clients.$$
ok=0; failed=0; times=()
for i in $(seq 1 20); do
  if t=$(curl -s -o /dev/null --max-time 5 -w '%{time_total}' "$url") && [ "$t" != "0.000000" ]; then
    ok=$((ok + 1)); times+=("$t")
  else
    failed=$((failed + 1))
  fi
done
echo "scrapes while held: $ok answered, $failed failed or over 5 s"
if [ "$ok" -gt 0 ]; then
  printf '%s\n' "${times[@]}" | sort -n \
    | awk '{a[NR]=$1} END {printf "scrape time: min %.1f ms, median %.1f ms, max %.1f ms\n", a[1]*1000, a[int((NR+1)/2)]*1000, a[NR]*1000}'
fi
head_result=$(curl -s -o /dev/null --max-time 5 -w '%{http_code} in %{time_total} s' -I "$url") \
  || head_result="failed ($head_result)"
echo "HEAD while held: $head_result"
tail -1 /tmp/slow-clients.$$
rm -f /tmp/slow-clients.$$
