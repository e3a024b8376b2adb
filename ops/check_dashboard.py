#!/usr/bin/env python3
"""Checks grafana-dashboard.json against the dashboard rules, and lists metric names.

    python3 ops/check_dashboard.py                 # check, exit 1 on any problem
    python3 ops/check_dashboard.py --dashboard deploy/kubernetes/monitoring/dashboard/grafana-dashboard.json
    python3 ops/check_dashboard.py --list-metrics  # every metric name the dashboard and the rules
                                                   # query, one per line (--ws-only: ws_manager_*)

Rules checked (the dashboard-linter conventions):
  * "__inputs" is empty (UI import and file provisioning use the same file); not editable;
  * variables: "datasource" (type datasource, query prometheus), then job, instance, manager
    and track (label_values() queries, multi, "All" with allValue ".+"; ".*" for track, which
    a series may lack);
  * every panel and query uses {"type": "prometheus", "uid": "${datasource}"}; every panel has a
    unit, a description, a gridPos and a unique id;
  * every ws_manager_* selector filters on the job, instance, manager and track variables, `up`
    on job and instance; every range is [$__rate_interval]; counters and histogram series
    (*_total, *_bucket, *_sum, *_count) appear only directly inside rate( or increase(;
  * every query parses: promtool (on the PATH, or PROMTOOL) checks them all with Prometheus's
    own PromQL parser, variables replaced by sample values.
The metric names themselves are checked against what the library exports by the Maven build
(OpsFilesDriftTest). Needs python3 and PyYAML (Debian: python3-yaml).
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
VARIABLES = {"job": ".+", "instance": ".+", "manager": ".+", "track": ".*"}
REQUIRED_PANELS = ["Active Connections", "Retry Rate", "Stream Lifecycle", "High-Water Mark",
                   "Health Status", "Error Analysis", "Messages in/out", "Connect latency",
                   "Streams by state", "Canary vs stable"]
SELECTOR = re.compile(r"([A-Za-z_:][\w:]*)\{([^{}]*)\}")
COUNTER = re.compile(r"(\w+)(?:_total|_bucket|_sum|_count)\{")
SAMPLE_VALUES = {"job": ".+", "instance": ".+", "manager": ".+", "track": ".*",
                 "__rate_interval": "1m", "__interval": "15s", "__range": "1h"}


def exprs(dash):
    return [(p, t) for p in dash.get("panels", []) for t in p.get("targets", []) if t.get("expr")]


def check(dash):
    errors = []
    err = errors.append
    if dash.get("__inputs", []) != []:
        err('"__inputs" must be empty so that UI import and file provisioning use the same file')
    if dash.get("editable") is not False:
        err('"editable" must be false (change the source, not the dashboard in Grafana)')
    if not dash.get("uid") or dash.get("title") != "ws-manager":
        err('the dashboard needs a uid and the title "ws-manager"')
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
        err("schemaVersion must be 36 or newer")

    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource", {})
    if ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        err('templating needs a variable "datasource" of type datasource with query prometheus')
    for name, all_value in VARIABLES.items():
        v = variables.get(name)
        if not v:
            err('templating needs a query variable "%s"' % name)
            continue
        query = (v.get("query") or {}).get("query", "")
        if not (v.get("type") == "query" and v.get("multi") and v.get("includeAll")
                and v.get("allValue") == all_value and v.get("datasource") == DATASOURCE
                and query.startswith("label_values(") and query.endswith(", %s)" % name)):
            err('variable "%s": type query on the datasource variable, multi, includeAll, '
                'allValue "%s", query label_values(..., %s)' % (name, all_value, name))

    ids, titles = set(), []
    for p in dash.get("panels", []):
        where = 'panel "%s"' % p.get("title")
        titles.append(p.get("title", ""))
        if p.get("id") is None or p.get("id") in ids:
            err("%s: missing or duplicate id %r" % (where, p.get("id")))
        ids.add(p.get("id"))
        if not all(k in p.get("gridPos", {}) for k in "xywh"):
            err("%s: gridPos needs x, y, w, h" % where)
        if p.get("datasource") != DATASOURCE:
            err("%s: datasource must be %s" % (where, json.dumps(DATASOURCE)))
        if not p.get("description", "").strip():
            err("%s: needs a description" % where)
        if not p.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            err("%s: needs fieldConfig.defaults.unit" % where)
        if not p.get("targets"):
            err("%s: has no queries" % where)
        for t in p.get("targets", []):
            if t.get("datasource") != DATASOURCE or not t.get("expr"):
                err("%s, query %s: needs an expr and the datasource variable" % (where, t.get("refId")))
    for required in REQUIRED_PANELS:
        if not any(required.lower() in t.lower() for t in titles):
            err('no panel titled like "%s"' % required)

    for p, t in exprs(dash):
        expr, where = t["expr"], 'panel "%s", query %s' % (p.get("title"), t.get("refId"))
        found = SELECTOR.findall(expr)
        if not found:
            err("%s: no metric selector" % where)
        for name, matchers in found:
            wanted = ["job", "instance"] + (["manager", "track"] if name.startswith("ws_manager_") else [])
            missing = [v for v in wanted if '%s=~"$%s"' % (v, v) not in matchers]
            if missing:
                err("%s: %s{...} lacks %s" % (where, name, ", ".join('%s=~"$%s"' % (v, v) for v in missing)))
        if re.search(r"\b(ws_manager_\w+|up)\b(?![\w{])", expr):
            err("%s: a metric without a {...} selector" % where)
        for r in re.findall(r"\[([^\]]*)\]", expr):
            if r != "$__rate_interval":
                err("%s: range [%s] must be [$__rate_interval]" % (where, r))
        for m in COUNTER.finditer(expr):
            if not re.search(r"\b(rate|increase)\($", expr[:m.start()]):
                err("%s: %s may only appear directly inside rate() or increase()" % (where, m.group(0)[:-1]))
    return errors


def substitute(expr):
    return re.sub(r"\$\{?(\w+)\}?", lambda m: SAMPLE_VALUES.get(m.group(1), m.group(0)), expr)


def parse_all(dash):
    """Parses every query with promtool (Prometheus's own parser)."""
    promtool = os.environ.get("PROMTOOL", "promtool")
    if not shutil.which(promtool):
        return ["promtool not found (install the prometheus package or set PROMTOOL): "
                "the queries were not parsed"]
    rules = [{"record": "dashboard:query_%d:check" % i, "expr": substitute(t["expr"])}
             for i, (_, t) in enumerate(exprs(dash))]
    with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
        yaml.safe_dump({"groups": [{"name": "dashboard-queries", "rules": rules}]}, f)
    try:
        out = subprocess.run([promtool, "check", "rules", f.name], capture_output=True, text=True)
    finally:
        os.unlink(f.name)
    return [] if out.returncode == 0 else ["promtool cannot parse a query:\n" + out.stdout + out.stderr]


def metric_names(dash, rules_path):
    texts = [t["expr"] for _, t in exprs(dash)]
    with open(rules_path, encoding="utf-8") as f:
        texts += [r["expr"] for g in yaml.safe_load(f)["groups"] for r in g["rules"]]
    return sorted({n for e in texts for n, _ in SELECTOR.findall(e) if ":" not in n})


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dashboard", default=os.path.join(ROOT, "grafana-dashboard.json"))
    ap.add_argument("--rules", default=os.path.join(ROOT, "ws-manager-rules.yml"))
    ap.add_argument("--list-metrics", action="store_true")
    ap.add_argument("--ws-only", action="store_true", help="with --list-metrics: ws_manager_* only")
    args = ap.parse_args()
    with open(args.dashboard, encoding="utf-8") as f:
        dash = json.load(f)

    if args.list_metrics:
        for n in metric_names(dash, args.rules):
            if not args.ws_only or n.startswith("ws_manager_"):
                print(n)
        return 0

    errors = check(dash) + parse_all(dash)
    for e in errors:
        print("ERROR:", e, file=sys.stderr)
    summary = "%d panels, %d queries" % (len(dash.get("panels", [])), len(exprs(dash)))
    if errors:
        print("check_dashboard: %d problem(s) in %s" % (len(errors), summary), file=sys.stderr)
        return 1
    print("check_dashboard: OK (%s)" % summary)
    return 0


if __name__ == "__main__":
    sys.exit(main())
