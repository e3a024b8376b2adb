#!/usr/bin/env python3
"""Renders the operations kit from its one source, ops/source/, for a configurable selector.

    python3 ops/render.py            # (re)write every committed rendering
    python3 ops/render.py --check    # exit 1 (with a diff) if a committed rendering differs
    python3 ops/render.py --selector 'namespace="trading"' --out DIR
                                     # the kit for your own selector, written into DIR

The source:
  ops/source/rules.yml         recording and alerting rules; %(selector)s in every raw selector
  ops/source/dashboard.yml     the Grafana dashboard (compact panels, expanded here)
  ops/source/rules-tests/      promtool unit tests of the rules; series carry %(labels)s

The selector is a PromQL label-matcher list, the way monitoring mixins configure it, e.g.
job="ws-manager" (the default), job=~"my-service", or namespace="trading", job="ws-manager".
The committed renderings (each says at its top where it comes from):
  ws-manager-rules.yml, grafana-dashboard.json, ops/rules-tests/*.yml     selector job="ws-manager"
  deploy/kubernetes/monitoring/rules/prometheusrule.yaml,
  deploy/kubernetes/monitoring/dashboard/grafana-dashboard.json           selector job="ws-manager-sample"
                                       (the job the ServiceMonitor/PodMonitor give the sample app)
--out DIR writes ws-manager-rules.yml, grafana-dashboard.json, prometheusrule.yaml and
rules-tests/*.yml; run the tests there with `promtool test rules DIR/rules-tests/*.yml`.

Needs python3 and PyYAML (Debian: python3-yaml).
"""

import argparse
import copy
import difflib
import json
import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SOURCE = os.path.join(ROOT, "ops", "source")

DEFAULT_SELECTOR = 'job="ws-manager"'
# The job label the Kubernetes manifests give the sample app: the ServiceMonitor and the
# PodMonitor take it from the label app.kubernetes.io/name (jobLabel), see deploy/kubernetes/.
KUBERNETES_SELECTOR = 'job="ws-manager-sample"'
KUBERNETES_RULE = {"name": "ws-manager", "labels": {"app.kubernetes.io/name": "ws-manager",
                                                    "release": "kube-prometheus-stack"}}

RULES_MARKER = "# ---- everything below this line is copied into the renderings ----\n"
PLACEHOLDER = re.compile(r"%\((\w+)\)s")
MATCHER = re.compile(r'\s*([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)\s*"((?:[^"\\]|\\.)*)"\s*(?:,|$)')


class RenderError(Exception):
    pass


# ------------------------------------------------------------------------------------------
# Selector

def parse_selector(selector):
    """The (label, op, value) matchers of a selector such as job="a", namespace=~"b|c"."""
    text = selector.strip()
    if text.startswith("{") and text.endswith("}"):
        text = text[1:-1]
    matchers, pos = [], 0
    while pos < len(text):
        m = MATCHER.match(text, pos)
        if not m:
            raise RenderError(
                "selector %r: cannot read a label matcher at %r; write matchers such as "
                "job=\"ws-manager\" or namespace=~\"trading|staging\", separated by commas"
                % (selector, text[pos:]))
        matchers.append(m.groups())
        pos = m.end()
    if not matchers:
        raise RenderError('selector %r is empty; give at least one matcher, e.g. job="ws-manager"'
                          % selector)
    if not any(op in ("=", "=~") and value not in ("", ".*") for _, op, value in matchers):
        raise RenderError("selector %r matches every series; it needs an = or =~ matcher that "
                          "selects the service, e.g. job=\"ws-manager\"" % selector)
    return matchers


def series_labels(selector):
    """Labels a test series needs to match the selector: job first (the rules group by it)."""
    labels = {}
    for label, op, value in parse_selector(selector):
        if op == "=":
            labels[label] = value
        elif op == "=~":
            # a literal (dots may be escaped), or the first alternative of a|b|c if that is one
            first = value.split("|")[0].replace("\\.", ".")
            if not re.fullmatch(r"[\w\-.:/]+", first):
                raise RenderError(
                    "selector %r: cannot derive a test series label from %s=~%r; start the "
                    "regex with a literal alternative, e.g. %s=~\"my-service|other\""
                    % (selector, label, value, label))
            labels[label] = first
    labels.setdefault("job", "ws-manager")
    return dict([("job", labels.pop("job"))] + list(labels.items()))


def substitute(text, values, where):
    def repl(m):
        if m.group(1) not in values:
            raise RenderError("%s: unknown placeholder %s; known: %s"
                              % (where, m.group(0), ", ".join("%%(%s)s" % k for k in sorted(values))))
        return values[m.group(1)]
    return PLACEHOLDER.sub(repl, text)


def read(path):
    with open(path, encoding="utf-8") as f:
        return f.read()


def banner(source, selector, comment="#"):
    return ("%s Rendered by ops/render.py from %s with the selector %s.\n"
            "%s Do not edit: change the source, then run `python3 ops/render.py`.\n"
            % (comment, source, selector, comment))


# ------------------------------------------------------------------------------------------
# Rules and their tests

def render_rules(selector):
    src = read(os.path.join(SOURCE, "rules.yml"))
    if RULES_MARKER not in src:
        raise RenderError("ops/source/rules.yml: the marker line %r is missing" % RULES_MARKER.strip())
    body = src.split(RULES_MARKER, 1)[1]
    text = banner("ops/source/rules.yml", selector) + "\n" + substitute(
        body, {"selector": selector}, "ops/source/rules.yml")
    doc = yaml.safe_load(text)
    if not isinstance(doc, dict) or not isinstance(doc.get("groups"), list):
        raise RenderError("ops/source/rules.yml: renders to no `groups:` list")
    return text


def test_sources():
    folder = os.path.join(SOURCE, "rules-tests")
    return sorted(f for f in os.listdir(folder) if f.endswith(".yml"))


def render_test(name, selector, rules_file):
    labels = series_labels(selector)
    src = read(os.path.join(SOURCE, "rules-tests", name))

    def labels_yaml(m):  # a line holding only %(seriesLabelsYaml)s: one `label: value` line each
        return "".join("%s%s: %s\n" % (m.group(1), k, v if re.fullmatch(r"[A-Za-z][\w\-./]*", v)
                                           else json.dumps(v)) for k, v in labels.items())

    src = re.sub(r"^([ \t]*)%\(seriesLabelsYaml\)s[ \t]*\n", labels_yaml, src, flags=re.M)
    values = {
        "labels": ", ".join('%s="%s"' % (k, v) for k, v in labels.items()),
        "job": labels["job"],
        "rulesFile": rules_file,
    }
    where = "ops/source/rules-tests/" + name
    text = banner(where, selector) + substitute(src, values, where)
    yaml.safe_load(text)
    return text


def render_prometheus_rule(rules_text, name, labels):
    """The rules file's groups inside a PrometheusRule (comments kept)."""
    lines = rules_text.splitlines(keepends=True)
    start = next(i for i, l in enumerate(lines) if l.startswith("groups:"))
    head = ["apiVersion: monitoring.coreos.com/v1\n", "kind: PrometheusRule\n", "metadata:\n",
            "  name: %s\n" % name, "  labels:\n"]
    head += ["    %s: %s\n" % (k, v) for k, v in labels.items()]
    head.append("spec:\n")
    body = [("  " + l) if l.strip() else l for l in lines[start:]]
    intro = [l for l in lines[:start] if l.startswith("# Rendered") or l.startswith("# Do not")]
    return "".join(intro + ["---\n"] + head + body)


# ------------------------------------------------------------------------------------------
# Dashboard

def merge(base, over):
    """Deep merge; a None in `over` removes the key."""
    out = copy.deepcopy(base)
    for k, v in over.items():
        if v is None:
            out.pop(k, None)
        elif isinstance(v, dict) and isinstance(out.get(k), dict):
            out[k] = merge(out[k], v)
        else:
            out[k] = copy.deepcopy(v)
    return out


FIELD_ORDER = ["unit", "color", "custom", "mappings", "thresholds"]


def field_order(item):
    """fieldConfig.defaults keys in the order Grafana writes them (others after)."""
    return FIELD_ORDER.index(item[0]) if item[0] in FIELD_ORDER else len(FIELD_ORDER)


PANEL_KEYS = {"title", "type", "width", "height", "unit", "thresholds", "stack", "description",
              "targets", "fieldConfig", "options"}


def render_dashboard(selector):
    src = yaml.safe_load(read(os.path.join(SOURCE, "dashboard.yml")))
    ds = {"type": "prometheus", "uid": "${datasource}"}
    var_names = [v["name"] for v in src["variables"]["list"]]
    var_filter = {v: '%s=~"$%s"' % (v, v) for v in var_names}
    values = {
        "selector": selector,
        "filters": ", ".join([selector] + [var_filter[v] for v in var_names]),
        "upFilters": ", ".join([selector] + [var_filter[v] for v in ("job", "instance")]),
    }

    variables = [{"type": "datasource", "name": "datasource", "label": "Data source",
                  "query": "prometheus", "current": {}, "hide": 0, "includeAll": False,
                  "multi": False, "options": [], "refresh": 1, "regex": "", "skipUrlSync": False}]
    metric = src["variables"]["metric"]
    for i, v in enumerate(src["variables"]["list"]):
        query = "label_values(%s{%s}, %s)" % (
            metric, ", ".join([selector] + [var_filter[p] for p in var_names[:i]]), v["name"])
        variables.append({
            "type": "query", "name": v["name"], "label": v["label"], "datasource": ds,
            "definition": query,
            "query": {"qryType": 1, "query": query, "refId": "PrometheusVariableQueryEditor-VariableQuery"},
            "refresh": 2, "multi": True, "includeAll": True, "allValue": v["allValue"],
            "current": {"selected": True, "text": ["All"], "value": ["$__all"]},
            "options": [], "regex": "", "sort": 1, "hide": 0, "skipUrlSync": False})

    panels, x, y, row_h, titles = [], 0, 0, 0, set()
    for pid, p in enumerate(src["panels"], start=1):
        where = 'ops/source/dashboard.yml, panel %d "%s"' % (pid, p.get("title"))
        unknown = set(p) - PANEL_KEYS
        if unknown:
            raise RenderError("%s: unknown key(s) %s; known: %s"
                              % (where, ", ".join(sorted(unknown)), ", ".join(sorted(PANEL_KEYS))))
        for key in ("title", "unit", "description", "targets"):
            if not p.get(key):
                raise RenderError("%s: `%s` is required" % (where, key))
        if p["title"] in titles:
            raise RenderError("%s: another panel has the same title" % where)
        titles.add(p["title"])
        kind = p.get("type", "timeseries")
        if kind not in src["defaults"]:
            raise RenderError("%s: type %r; use one of %s" % (where, kind, ", ".join(src["defaults"])))
        d = src["defaults"][kind]
        w, h = p.get("width", d["width"]), p.get("height", d["height"])
        if x + w > 24:
            x, y, row_h = 0, y + row_h, 0
        field = merge(d["fieldConfig"], {"defaults": {"unit": p["unit"]}})
        steps = [{"color": c, "value": v} for c, v in (p.get("thresholds") or {"green": None}).items()]
        field["defaults"]["thresholds"] = {"mode": "absolute", "steps": steps}
        if kind == "timeseries":
            custom = field["defaults"]["custom"]
            if len(steps) > 1:
                custom["thresholdsStyle"] = {"mode": "line"}
            if p.get("stack"):
                custom["fillOpacity"] = 40
                custom["stacking"] = {"mode": "normal", "group": "A"}
        field = merge(field, p.get("fieldConfig") or {})
        field = {"defaults": dict(sorted(field["defaults"].items(), key=field_order)),
                 "overrides": field.get("overrides", [])}
        targets = []
        for i, t in enumerate(p["targets"]):
            if set(t) - {"expr", "legend"} or "expr" not in t:
                raise RenderError("%s: a target has `expr` and optionally `legend`, got %s"
                                  % (where, ", ".join(sorted(t))))
            targets.append({"datasource": ds, "editorMode": "code",
                            "expr": substitute(t["expr"], values, where),
                            "legendFormat": t.get("legend", "__auto"),
                            "range": kind != "stat", "instant": kind == "stat",
                            "refId": chr(ord("A") + i)})
        panels.append({
            "id": pid, "type": kind, "title": p["title"], "description": p["description"].strip(),
            "datasource": ds, "gridPos": {"h": h, "w": w, "x": x, "y": y}, "fieldConfig": field,
            "options": merge(d["options"], p.get("options") or {}), "targets": targets})
        x, row_h = x + w, max(row_h, h)

    dash = dict(src["dashboard"])
    out = {}
    for k, v in dash.items():  # panels and templating where Grafana puts them
        if k == "refresh":
            out["panels"] = panels
        out[k] = v
        if k == "tags":
            out["templating"] = {"list": variables}
    out.setdefault("panels", panels)
    out.setdefault("templating", {"list": variables})
    return json.dumps(out, indent=2, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------------------
# What goes where

def kit(selector, rules_path, tests_dir):
    """{path relative to the output root: content} of the kit for one selector."""
    files = {}
    rules = render_rules(selector)
    files[rules_path] = rules
    rel = os.path.relpath(rules_path, tests_dir)
    for name in test_sources():
        files[os.path.join(tests_dir, name)] = render_test(name, selector, rel)
    files["grafana-dashboard.json"] = render_dashboard(selector)
    return files


def committed():
    files = kit(DEFAULT_SELECTOR, "ws-manager-rules.yml", os.path.join("ops", "rules-tests"))
    k8s_rules = render_rules(KUBERNETES_SELECTOR)
    files["deploy/kubernetes/monitoring/rules/prometheusrule.yaml"] = render_prometheus_rule(
        k8s_rules, KUBERNETES_RULE["name"], KUBERNETES_RULE["labels"])
    files["deploy/kubernetes/monitoring/dashboard/grafana-dashboard.json"] = render_dashboard(
        KUBERNETES_SELECTOR)
    return files


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--check", action="store_true",
                    help="compare the committed renderings with the source; exit 1 on a difference")
    ap.add_argument("--selector", help="render the kit for this selector (needs --out)")
    ap.add_argument("--out", help="with --selector: the folder to write the kit into")
    args = ap.parse_args()

    try:
        if args.selector or args.out:
            if not (args.selector and args.out):
                ap.error("--selector and --out go together")
            files = kit(args.selector, "ws-manager-rules.yml", "rules-tests")
            files["prometheusrule.yaml"] = render_prometheus_rule(
                files["ws-manager-rules.yml"], KUBERNETES_RULE["name"], KUBERNETES_RULE["labels"])
            base = args.out
        else:
            files = committed()
            base = ROOT
    except RenderError as e:
        print("render: %s" % e, file=sys.stderr)
        return 2

    if args.check:
        drift = 0
        for path, content in sorted(files.items()):
            full = os.path.join(base, path)
            current = read(full) if os.path.exists(full) else ""
            if current != content:
                drift += 1
                sys.stdout.writelines(difflib.unified_diff(
                    current.splitlines(keepends=True), content.splitlines(keepends=True),
                    "a/" + path + " (committed)", "b/" + path + " (rendered from ops/source/)", n=2))
        if drift:
            print("render: %d rendering(s) differ from ops/source/. Edit the source, not the "
                  "renderings, then run: python3 ops/render.py" % drift, file=sys.stderr)
            return 1
        print("render: OK (%d renderings match ops/source/)" % len(files))
        return 0

    for path, content in sorted(files.items()):
        full = os.path.join(base, path)
        os.makedirs(os.path.dirname(full), exist_ok=True)
        if not os.path.exists(full) or read(full) != content:
            with open(full, "w", encoding="utf-8") as f:
                f.write(content)
            print("wrote", os.path.relpath(full))
    return 0


if __name__ == "__main__":
    sys.exit(main())
