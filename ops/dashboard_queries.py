#!/usr/bin/env python3
"""Runs every query of grafana-dashboard.json against a live Prometheus.

    python3 ops/dashboard_queries.py --prometheus http://127.0.0.1:9090 \\
        --dashboard grafana-dashboard.json

Grafana variables are replaced the way the dashboard's defaults ("All") would: each
template variable by its allValue (override with --var NAME=REGEX, e.g. --var job=ws-manager),
$__rate_interval -> 1m, $__interval -> 15s, $__range -> 1h; ${datasource} does not
occur in expressions. Each query runs as an instant query (/api/v1/query). The script fails
(exit 1) if any query does not answer with status "success" or returns no series; panels
whose title matches --allow-empty may return nothing. The template variables' label_values()
queries are run too: job and instance must have values, track may be empty (no canary).

Standard library only.
"""

import argparse
import json
import re
import sys
import urllib.error
import urllib.parse
import urllib.request


def substitute(expr, values):
    def repl(m):
        name = m.group("a") or m.group("b") or m.group("c")
        return values.get(name, m.group(0))

    pattern = r"\$\{(?P<a>[A-Za-z_][A-Za-z0-9_]*)(?::[a-z]+)?\}|\[\[(?P<b>[A-Za-z_][A-Za-z0-9_]*)\]\]|\$(?P<c>[A-Za-z_][A-Za-z0-9_]*)"
    return re.sub(pattern, repl, expr)


def get(base, path, params, timeout):
    url = base.rstrip("/") + path + "?" + urllib.parse.urlencode(params, doseq=True)
    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return json.load(resp)
    except urllib.error.HTTPError as e:
        try:
            return json.load(e)
        except ValueError:
            return {"status": "error", "error": "HTTP %d" % e.code}
    except (urllib.error.URLError, OSError, ValueError) as e:
        return {"status": "error", "error": str(e)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--prometheus", default="http://127.0.0.1:9090")
    ap.add_argument("--dashboard", default="grafana-dashboard.json")
    ap.add_argument("--var", action="append", default=[], metavar="NAME=REGEX",
                    help="value for a template variable instead of its allValue (repeatable)")
    ap.add_argument("--rate-interval", default="1m", help="value for $__rate_interval")
    ap.add_argument("--allow-empty", default=None,
                    help="regex of panel titles that may return no series")
    ap.add_argument("--timeout", type=float, default=10.0)
    args = ap.parse_args()

    values = {
        "__rate_interval": args.rate_interval,
        "__interval": "15s",
        "__range": "1h",
        "__range_s": "3600",
        "__interval_ms": "15000",
        "datasource": "prometheus",
    }
    allow_empty = re.compile(args.allow_empty) if args.allow_empty else None

    with open(args.dashboard, encoding="utf-8") as f:
        dash = json.load(f)
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") == "query":
            values[var["name"]] = var.get("allValue") or ".*"
    for assignment in args.var:
        name, sep, value = assignment.partition("=")
        if not sep:
            ap.error("--var %r: write NAME=REGEX, e.g. --var job=ws-manager" % assignment)
        values[name] = value

    failures = 0
    total = 0

    # template variables: label_values(<selector>, <label>)
    for var in dash.get("templating", {}).get("list", []):
        if var.get("type") != "query":
            continue
        q = var.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        m = re.match(r"^\s*label_values\((.*),\s*([A-Za-z_][A-Za-z0-9_]*)\s*\)\s*$", q or "")
        if not m:
            continue
        total += 1
        selector, label = substitute(m.group(1), values), m.group(2)
        body = get(args.prometheus, "/api/v1/label/%s/values" % label, {"match[]": selector}, args.timeout)
        ok = body.get("status") == "success"
        vals = body.get("data") or []
        if not ok or (not vals and var.get("name") in ("job", "instance")):
            failures += 1
            print("FAIL  variable %-10s %s -> %s" % (var.get("name"), q, body.get("error") or "no values"))
        else:
            print("OK    variable %-10s %d value(s): %s" % (var.get("name"), len(vals), ", ".join(vals[:5]) or "(none)"))

    for panel in dash.get("panels", []):
        for t in panel.get("targets", []):
            expr = t.get("expr")
            if not expr:
                continue
            total += 1
            q = substitute(expr, values)
            body = get(args.prometheus, "/api/v1/query", {"query": q}, args.timeout)
            title = "%s [%s]" % (panel.get("title"), t.get("refId"))
            if body.get("status") != "success":
                failures += 1
                print("FAIL  %s: %s\n      %s" % (title, body.get("error", body.get("status")), q))
                continue
            result = body.get("data", {}).get("result", [])
            n = len(result) if isinstance(result, list) else 1
            if n == 0 and not (allow_empty and allow_empty.search(panel.get("title", ""))):
                failures += 1
                print("FAIL  %s: empty result\n      %s" % (title, q))
                continue
            sample = ""
            if isinstance(result, list) and result:
                v = result[0].get("value", [None, None])[1]
                sample = " first=%s%s" % (v, json.dumps(result[0].get("metric", {}), sort_keys=True))
            print("OK    %s: %d series%s" % (title, n, sample))

    print("dashboard_queries: %d/%d OK" % (total - failures, total))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
