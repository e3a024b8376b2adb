#!/usr/bin/env python3
"""Checks grafana-dashboard.json against the dashboard rules, and lists metric names.

    python3 ops/check_dashboard.py                 # check, exit 1 on any problem
    python3 ops/check_dashboard.py --list-metrics  # print every metric name the dashboard
                                                   # and the rules refer to, one per line
    python3 ops/check_dashboard.py --list-metrics --ws-only   # only ws_manager_* names

Rules checked (standard library only, no Grafana or Prometheus needed):
  * "__inputs" is empty, so the same file imports through the UI and by file provisioning;
  * templating has "datasource" (type datasource, query prometheus) and "job", "instance",
    "track" (type query, multi, includeAll, allValue ".*", label_values(...) over
    ws_manager_active_connections);
  * every panel and every query target uses {"type": "prometheus", "uid": "${datasource}"};
  * every panel has a unit (fieldConfig.defaults.unit), a description, a gridPos and a
    unique id; panel types are timeseries or stat;
  * every metric selector has job=~"$job" and instance=~"$instance" (ws_manager_* ones also
    track=~"$track");
  * every range is [$__rate_interval];
  * counters and histogram series (*_total, *_bucket, *_sum, *_count) appear only directly
    inside rate( or increase(;
  * every ws_manager_* name is one the library exports, in queries and anywhere in the text
    of the dashboard and the rules (descriptions, comments): histogram families are named by
    their series (_bucket, _sum, _count).

Metric names listed by --list-metrics are as written (e.g.
ws_manager_connect_duration_seconds_bucket); series recorded by the rules (names with a
colon) are not listed.
"""

import argparse
import json
import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_DASHBOARD = os.path.join(ROOT, "grafana-dashboard.json")
DEFAULT_RULES = os.path.join(ROOT, "ws-manager-rules.yml")

DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}

# The metric names the library exports (see MetricNames.java), as they appear in queries.
EXPORTED = {
    "ws_manager_active_connections",
    "ws_manager_active_connections_hwm",
    "ws_manager_retry_count_total",
    "ws_manager_stream_creations_total",
    "ws_manager_stream_cleanups_total",
    "ws_manager_connection_attempts_total",
    "ws_manager_connection_failures_total",
    "ws_manager_messages_received_total",
    "ws_manager_messages_sent_total",
    "ws_manager_connect_duration_seconds_bucket",
    "ws_manager_connect_duration_seconds_sum",
    "ws_manager_connect_duration_seconds_count",
    "ws_manager_streams",
    "ws_manager_listener_errors_total",
}

REQUIRED_PANELS = [
    "Active Connections",
    "Retry Rate",
    "Stream Lifecycle",
    "High-Water Mark",
    "Health Status",
    "Error Analysis",
    "Messages in/out",
    "Connect latency",
    "Streams by state",
    "Canary vs stable",
]

KEYWORDS = {
    "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "and", "or", "unless", "offset", "atan2", "inf", "nan",
}
AGGREGATIONS = {
    "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values",
    "bottomk", "topk", "quantile", "limitk", "limit_ratio",
}
LABEL_LIST_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right"}
COUNTER_SUFFIXES = ("_total", "_bucket", "_sum", "_count")
RATE_FUNCTIONS = {"rate", "increase"}

TOKEN = re.compile(
    r"""
    (?P<ws>\s+)
  | (?P<string>"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`)
  | (?P<duration>(?:\d+(?:ms|[smhdwy]))+)
  | (?P<number>(?:0x[0-9a-fA-F]+|\d+(?:\.\d*)?(?:[eE][-+]?\d+)?|\.\d+(?:[eE][-+]?\d+)?)(?![A-Za-z_:]))
  | (?P<var>\$\{?[A-Za-z_][A-Za-z0-9_]*\}?)
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=(){}\[\],:@])
    """,
    re.VERBOSE,
)


def tokenize(expr):
    pos, out = 0, []
    while pos < len(expr):
        m = TOKEN.match(expr, pos)
        if not m:
            raise ValueError("cannot parse %r at %d: %r" % (expr, pos, expr[pos:pos + 20]))
        pos = m.end()
        kind = m.lastgroup
        if kind != "ws":
            out.append((kind, m.group()))
    return out


class Selector:
    def __init__(self, name, matchers, range_, func):
        self.name = name          # metric name
        self.matchers = matchers  # list of (label, op, value-without-quotes)
        self.range = range_       # text inside [...] after the selector, or None
        self.func = func          # name of the function whose first argument it is, or None


def parse_matchers(tokens, i):
    """tokens[i] is '{'. Returns (matchers, index after '}')."""
    matchers = []
    i += 1
    while tokens[i][1] != "}":
        if tokens[i][1] == ",":
            i += 1
            continue
        label, op, value = tokens[i][1], tokens[i + 1][1], tokens[i + 2][1]
        matchers.append((label, op, value[1:-1]))
        i += 3
    return matchers, i + 1


def selectors(expr):
    """The metric selectors of a PromQL expression (a small, sufficient parser)."""
    tokens = tokenize(expr)
    found = []
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        nxt = tokens[i + 1][1] if i + 1 < len(tokens) else None
        if kind == "ident" and text in LABEL_LIST_KEYWORDS and nxt == "(":
            depth, i = 0, i + 1
            while True:
                if tokens[i][1] == "(":
                    depth += 1
                elif tokens[i][1] == ")":
                    depth -= 1
                    if depth == 0:
                        break
                i += 1
            i += 1
            continue
        if kind == "ident" and (nxt == "(" or text in KEYWORDS
                                or (text in AGGREGATIONS and nxt in ("by", "without"))):
            i += 1
            continue
        if kind == "ident":
            func = None
            if i >= 2 and tokens[i - 1][1] == "(" and tokens[i - 2][0] == "ident":
                func = tokens[i - 2][1]
            j = i + 1
            matchers = []
            if j < len(tokens) and tokens[j][1] == "{":
                matchers, j = parse_matchers(tokens, j)
            range_ = None
            if j < len(tokens) and tokens[j][1] == "[":
                k = j + 1
                parts = []
                while tokens[k][1] != "]":
                    parts.append(tokens[k][1])
                    k += 1
                range_ = "".join(parts)
                j = k + 1
            found.append(Selector(text, matchers, range_, func))
            i = j
            continue
        if text == "{":  # selector without a metric name: skip its matchers
            _, i = parse_matchers(tokens, i)
            continue
        i += 1
    return found


def ranges(expr):
    """Every [...] range or subquery in the expression, as written."""
    return re.findall(r"\[([^\]]*)\]", expr)


# ------------------------------------------------------------------------------------------
# Rules file: a minimal reader for the expr:/record: entries (no YAML library needed).

def rule_exprs(path):
    """Returns (exprs, recorded_names) of a Prometheus rules file."""
    lines = open(path, encoding="utf-8").read().splitlines()
    exprs, recorded = [], set()
    i = 0
    while i < len(lines):
        line = lines[i]
        m = re.match(r"^(\s*)(?:-\s+)?(expr|record):\s*(.*)$", line)
        if not m:
            i += 1
            continue
        key, value = m.group(2), m.group(3).strip()
        if value.startswith(("|", ">")):
            indent = None
            block = []
            i += 1
            while i < len(lines):
                nxt = lines[i]
                if nxt.strip() == "":
                    block.append("")
                    i += 1
                    continue
                cur = len(nxt) - len(nxt.lstrip())
                if indent is None:
                    indent = cur
                if cur < indent:
                    break
                block.append(nxt[indent:])
                i += 1
            value = "\n".join(block).strip()
        else:
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            i += 1
        if key == "expr":
            exprs.append(value)
        else:
            recorded.add(value)
    return exprs, recorded


# ------------------------------------------------------------------------------------------

def dashboard_exprs(dash):
    out = []
    for panel in dash.get("panels", []):
        for t in panel.get("targets", []):
            if "expr" in t:
                out.append((panel, t))
    return out


def check(dash):
    errors = []

    def err(msg):
        errors.append(msg)

    if dash.get("__inputs", []) != []:
        err('"__inputs" must be empty so that UI import and file provisioning use the same file')
    if dash.get("title") != "ws-manager":
        err('title must be "ws-manager"')
    if not dash.get("uid"):
        err("the dashboard needs a uid")
    if not isinstance(dash.get("schemaVersion"), int) or dash["schemaVersion"] < 36:
        err("schemaVersion must be 36 or newer")

    variables = {v.get("name"): v for v in dash.get("templating", {}).get("list", [])}
    ds = variables.get("datasource")
    if not ds or ds.get("type") != "datasource" or ds.get("query") != "prometheus":
        err('templating needs a variable "datasource" of type datasource with query prometheus')
    for name in ("job", "instance", "track"):
        v = variables.get(name)
        if not v:
            err('templating needs a query variable "%s"' % name)
            continue
        q = v.get("query")
        q = q.get("query") if isinstance(q, dict) else q
        if v.get("type") != "query":
            err('variable "%s" must be of type query' % name)
        if not (v.get("multi") and v.get("includeAll") and v.get("allValue") == ".*"):
            err('variable "%s" must be multi, includeAll, allValue ".*"' % name)
        if not q or "label_values(" not in q or "ws_manager_active_connections" not in q:
            err('variable "%s" must use label_values(ws_manager_active_connections..., %s)' % (name, name))
        if v.get("datasource") != DATASOURCE:
            err('variable "%s" must use the datasource variable' % name)

    ids = set()
    titles = []
    for panel in dash.get("panels", []):
        title = panel.get("title", "<untitled>")
        titles.append(title)
        where = 'panel "%s"' % title
        pid = panel.get("id")
        if pid is None or pid in ids:
            err("%s: missing or duplicate id %r" % (where, pid))
        ids.add(pid)
        if panel.get("type") not in ("timeseries", "stat"):
            err("%s: type must be timeseries or stat, is %r" % (where, panel.get("type")))
        gp = panel.get("gridPos", {})
        if not all(k in gp for k in ("x", "y", "w", "h")):
            err("%s: gridPos needs x, y, w, h" % where)
        if panel.get("datasource") != DATASOURCE:
            err("%s: datasource must be %s" % (where, json.dumps(DATASOURCE)))
        if not panel.get("description", "").strip():
            err("%s: needs a description" % where)
        if not panel.get("fieldConfig", {}).get("defaults", {}).get("unit"):
            err("%s: needs fieldConfig.defaults.unit" % where)
        targets = panel.get("targets", [])
        if not targets:
            err("%s: has no queries" % where)
        for t in targets:
            if t.get("datasource") != DATASOURCE:
                err("%s, query %s: datasource must be %s" % (where, t.get("refId"), json.dumps(DATASOURCE)))
            if not t.get("expr"):
                err("%s, query %s: no expr" % (where, t.get("refId")))

    for required in REQUIRED_PANELS:
        if not any(required.lower() in t.lower() for t in titles):
            err('no panel titled like "%s"' % required)

    for panel, t in dashboard_exprs(dash):
        expr = t["expr"]
        where = 'panel "%s", query %s' % (panel.get("title"), t.get("refId"))
        if 'job=~"$job"' not in expr or 'instance=~"$instance"' not in expr:
            err('%s: expr must contain job=~"$job" and instance=~"$instance"' % where)
        for r in ranges(expr):
            if r != "$__rate_interval":
                err("%s: range [%s] must be [$__rate_interval]" % (where, r))
        try:
            sels = selectors(expr)
        except (ValueError, IndexError) as e:
            err("%s: %s" % (where, e))
            continue
        if not sels:
            err("%s: no metric selector" % where)
        for s in sels:
            labels = {(l, op, v) for l, op, v in s.matchers}
            if ("job", "=~", "$job") not in labels or ("instance", "=~", "$instance") not in labels:
                err('%s: selector %s lacks job=~"$job" or instance=~"$instance"' % (where, s.name))
            if s.name.startswith("ws_manager_") and ("track", "=~", "$track") not in labels:
                err('%s: selector %s lacks track=~"$track"' % (where, s.name))
            if s.name.endswith(COUNTER_SUFFIXES):
                if s.func not in RATE_FUNCTIONS or s.range is None:
                    err("%s: %s may only appear as rate(%s{...}[$__rate_interval]) or increase(...)"
                        % (where, s.name, s.name))
            if s.name.startswith("ws_manager_") and s.name not in EXPORTED:
                err("%s: %s is not a metric the library exports" % (where, s.name))
    return errors


# A ws_manager_* name anywhere in a file's text (descriptions and comments included), but not
# a piece of a recorded name such as instance:ws_manager_x:rate5m.
TEXT_REFERENCE = re.compile(r"(?<![:\w])(ws_manager_\w+)(?![\w:])")


def text_references(path):
    with open(path, encoding="utf-8") as f:
        return set(TEXT_REFERENCE.findall(f.read()))


def metric_names(dash, rules_path):
    names = set()
    for _, t in dashboard_exprs(dash):
        names.update(s.name for s in selectors(t["expr"]))
    if rules_path and os.path.exists(rules_path):
        exprs, recorded = rule_exprs(rules_path)
        for e in exprs:
            names.update(s.name for s in selectors(e))
        names -= recorded
    return sorted(n for n in names if ":" not in n)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dashboard", default=DEFAULT_DASHBOARD)
    ap.add_argument("--rules", default=DEFAULT_RULES)
    ap.add_argument("--list-metrics", action="store_true",
                    help="print the metric names referenced by the dashboard and the rules")
    ap.add_argument("--ws-only", action="store_true",
                    help="with --list-metrics: only ws_manager_* names (leave out up etc.)")
    args = ap.parse_args()

    with open(args.dashboard, encoding="utf-8") as f:
        dash = json.load(f)

    if args.list_metrics:
        for n in metric_names(dash, args.rules):
            if not args.ws_only or n.startswith("ws_manager_"):
                print(n)
        return 0

    errors = check(dash)
    if args.rules and os.path.exists(args.rules):
        exprs, _ = rule_exprs(args.rules)
        for e in exprs:
            try:
                for s in selectors(e):
                    if s.name.startswith("ws_manager_") and s.name not in EXPORTED:
                        errors.append("rules: %s is not a metric the library exports" % s.name)
            except (ValueError, IndexError) as ex:
                errors.append("rules: cannot parse %r: %s" % (e, ex))
    for path in (args.dashboard, args.rules):
        if path and os.path.exists(path):
            for name in sorted(text_references(path) - EXPORTED):
                errors.append("%s: mentions %s, which is not a series the library exports"
                              % (os.path.basename(path), name))
    for e in errors:
        print("ERROR:", e, file=sys.stderr)
    n_panels = len(dash.get("panels", []))
    n_queries = len(dashboard_exprs(dash))
    if errors:
        print("check_dashboard: %d problem(s) in %d panels / %d queries" % (len(errors), n_panels, n_queries),
              file=sys.stderr)
        return 1
    print("check_dashboard: OK (%d panels, %d queries)" % (n_panels, n_queries))
    return 0


if __name__ == "__main__":
    sys.exit(main())
