#!/usr/bin/env python3
"""Builds every overlay under deploy/kubernetes/overlays with `kubectl kustomize` (offline) and
checks every object it renders:

  * against the real schemas vendored in deploy/kubernetes/schemas/ (the Kubernetes OpenAPI
    definitions for Deployment, Service, ConfigMap and Secret, the Prometheus Operator CRDs'
    openAPIV3Schema for ServiceMonitor, PodMonitor and PrometheusRule), strictly: a field the
    schema does not know is an error, as `kubectl apply --validate=strict` would say;
  * that the PrometheusRule holds exactly the groups ops/render.py renders from ops/source/ with
    the selector job="<the job the ServiceMonitor/PodMonitor gives the app>", and the dashboard
    ConfigMap (labelled grafana_dashboard: "1") exactly the dashboard rendered with it;
  * that the pieces fit: Service and monitors select the pods, the named metrics port exists,
    the probes send HEAD to /api/ws/metrics, the monitors scrape /api/ws/metrics with
    format=prometheus and copy the `track` label, and a canary overlay runs about 10 % canary.

    python3 ops/validate_k8s.py            # all overlays; prints kind/name of each object
    KUBECTL=/path/to/kubectl python3 ops/validate_k8s.py

Needs kubectl (Debian: kubernetes-client), PyYAML and jsonschema (python3-yaml,
python3-jsonschema).
"""

import copy
import glob
import json
import os
import shutil
import subprocess
import sys

import jsonschema
import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
K8S = os.path.join(ROOT, "deploy", "kubernetes")
sys.path.insert(0, os.path.join(ROOT, "ops"))
import render  # noqa: E402  (the generator: the renderings to compare with)

METRICS_PATH = "/api/ws/metrics"


# ------------------------------------------------------------------------------------------
# Schemas

def strict(schema):
    """Unknown fields become errors: additionalProperties false wherever properties are listed."""
    if isinstance(schema, dict):
        out = {k: strict(v) for k, v in schema.items()}
        if ("properties" in out and "additionalProperties" not in out
                and not out.get("x-kubernetes-preserve-unknown-fields")):
            out["additionalProperties"] = False
        return out
    if isinstance(schema, list):
        return [strict(v) for v in schema]
    return schema


def load_schemas():
    """{(apiVersion, kind): validator}"""
    path = glob.glob(os.path.join(K8S, "schemas", "kubernetes-*", "definitions.json"))[0]
    with open(path, encoding="utf-8") as f:
        defs = strict(json.load(f)["definitions"])
    # OpenAPI v2 writes int-or-string as a string with a format; YAML gives ints too.
    defs["io.k8s.apimachinery.pkg.util.intstr.IntOrString"] = {"type": ["integer", "string"]}
    validators = {}
    for name, d in defs.items():
        for gvk in d.get("x-kubernetes-group-version-kind", []):
            api = "%s/%s" % (gvk["group"], gvk["version"]) if gvk["group"] else gvk["version"]
            schema = {"$ref": "#/definitions/" + name, "definitions": defs}
            validators[(api, gvk["kind"])] = jsonschema.Draft4Validator(schema)
    meta = jsonschema.Draft4Validator(
        {"$ref": "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta", "definitions": defs})
    for crd_path in glob.glob(os.path.join(K8S, "schemas", "prometheus-operator-*", "*.yaml")):
        with open(crd_path, encoding="utf-8") as f:
            crd = yaml.safe_load(f)
        for v in crd["spec"]["versions"]:
            schema = strict(v["schema"]["openAPIV3Schema"])
            schema["properties"]["metadata"] = {}  # checked against ObjectMeta below
            validators[("%s/%s" % (crd["spec"]["group"], v["name"]), crd["spec"]["names"]["kind"])] = (
                jsonschema.Draft4Validator(schema), meta)
    return validators


def schema_errors(validators, obj):
    key = (obj.get("apiVersion"), obj.get("kind"))
    if key not in validators:
        return ["no vendored schema for apiVersion %s kind %s" % key]
    found = validators[key]
    pairs = [(found, obj)] if not isinstance(found, tuple) else [(found[0], obj), (found[1], obj.get("metadata", {}))]
    errors = []
    for validator, doc in pairs:
        for e in sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path)):
            where = "/".join(str(p) for p in e.absolute_path) or "(top)"
            errors.append("%s: %s" % (where, e.message[:300]))
    return errors


# ------------------------------------------------------------------------------------------
# How the pieces fit

def matches(selector, labels):
    return bool(selector) and all(labels.get(k) == v for k, v in selector.items())


def fit_errors(objs):
    errors = []
    by_kind = {}
    for o in objs:
        by_kind.setdefault(o["kind"], []).append(o)
    deployments = by_kind.get("Deployment", [])
    services = by_kind.get("Service", [])
    monitors = by_kind.get("ServiceMonitor", []) + by_kind.get("PodMonitor", [])
    rules = by_kind.get("PrometheusRule", [])
    dashboards = [c for c in by_kind.get("ConfigMap", [])
                  if c["metadata"].get("labels", {}).get("grafana_dashboard") == "1"]
    if not deployments or len(monitors) != 1 or len(rules) != 1 or len(dashboards) != 1:
        return ["expected Deployments, one ServiceMonitor or PodMonitor, one PrometheusRule and one "
                "ConfigMap labelled grafana_dashboard: \"1\"; got %s"
                % ", ".join("%d %s" % (len(v), k) for k, v in sorted(by_kind.items()))]

    for d in deployments:
        name = "Deployment %s" % d["metadata"]["name"]
        pod = d["spec"]["template"]
        if not matches(d["spec"]["selector"].get("matchLabels"), pod["metadata"].get("labels", {})):
            errors.append("%s: selector does not match its pod labels" % name)
        for c in pod["spec"]["containers"]:
            ports = {p.get("name"): p["containerPort"] for p in c.get("ports", [])}
            if "metrics" not in ports:
                errors.append("%s: container %s has no port named metrics" % (name, c["name"]))
                continue
            for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
                cmd = c.get(probe, {}).get("exec", {}).get("command", [])
                url = "http://127.0.0.1:%d%s" % (ports["metrics"], METRICS_PATH)
                if not (cmd[:1] == ["curl"] and "--head" in cmd and "--fail" in cmd and url in cmd):
                    errors.append("%s: %s must be `curl --head --fail ... %s`" % (name, probe, url))
        if "track" not in pod["metadata"].get("labels", {}):
            errors.append("%s: pods need the label track (stable or canary)" % name)
    for s in services:
        pods = [d for d in deployments if matches(s["spec"].get("selector"), d["spec"]["template"]["metadata"]["labels"])]
        if len(pods) != len(deployments):
            errors.append("Service %s: its selector misses some Deployments' pods" % s["metadata"]["name"])
        if not any(p.get("name") == "metrics" and p.get("targetPort") == "metrics" for p in s["spec"]["ports"]):
            errors.append("Service %s: needs a port named metrics with targetPort metrics" % s["metadata"]["name"])

    mon = monitors[0]
    spec, name = mon["spec"], "%s %s" % (mon["kind"], mon["metadata"]["name"])
    endpoints = spec.get("endpoints") or spec.get("podMetricsEndpoints") or []
    for e in endpoints:
        if e.get("port") != "metrics" or e.get("path") != METRICS_PATH or e.get("params") != {"format": ["prometheus"]}:
            errors.append("%s: endpoint must be port metrics, path %s, params format=[prometheus]" % (name, METRICS_PATH))
    if "track" not in spec.get("podTargetLabels", []):
        errors.append("%s: podTargetLabels must copy track" % name)
    if mon["kind"] == "ServiceMonitor":
        targets = [s["metadata"].get("labels", {}) for s in services if matches(spec["selector"].get("matchLabels"), s["metadata"].get("labels", {}))]
    else:
        targets = [d["spec"]["template"]["metadata"]["labels"] for d in deployments
                   if matches(spec["selector"].get("matchLabels"), d["spec"]["template"]["metadata"]["labels"])]
    jobs = {t.get(spec.get("jobLabel")) for t in targets}
    if not targets or len(jobs) != 1 or None in jobs:
        return errors + ["%s: selects nothing, or its jobLabel %r does not give one job" % (name, spec.get("jobLabel"))]
    selector = 'job="%s"' % jobs.pop()

    rule = rules[0]
    if rule["spec"] != {"groups": yaml.safe_load(render.render_rules(selector))["groups"]}:
        errors.append("PrometheusRule %s: spec.groups differ from the rules rendered with %s "
                      "(run python3 ops/render.py)" % (rule["metadata"]["name"], selector))
    data = dashboards[0].get("data", {})
    if list(data) != ["grafana-dashboard.json"] or data["grafana-dashboard.json"] != render.render_dashboard(selector):
        errors.append("ConfigMap %s: grafana-dashboard.json differs from the dashboard rendered with %s"
                      % (dashboards[0]["metadata"]["name"], selector))
    for o in (rule, mon):
        if "release" not in o["metadata"].get("labels", {}):
            errors.append("%s %s: needs the label release (kube-prometheus-stack's selectors)"
                          % (o["kind"], o["metadata"]["name"]))

    tracks = {}
    for d in deployments:
        t = d["spec"]["template"]["metadata"]["labels"].get("track")
        tracks[t] = tracks.get(t, 0) + d["spec"].get("replicas", 1)
    if "canary" in tracks:
        share = tracks["canary"] / float(sum(tracks.values()))
        if set(tracks) != {"stable", "canary"} or not 0.05 <= share <= 0.15:
            errors.append("canary: need stable and canary Deployments with ~10%% canary replicas, got %s" % tracks)
        if 'track="canary"' not in render.render_rules(selector):
            errors.append("canary: the rules do not compare track=\"canary\"")
    return errors


# ------------------------------------------------------------------------------------------

def main():
    kubectl = os.environ.get("KUBECTL", "kubectl")
    if not shutil.which(kubectl):
        print("validate_k8s: kubectl not found (install kubernetes-client or set KUBECTL)", file=sys.stderr)
        return 2
    validators = load_schemas()
    overlays = sorted(d for d in glob.glob(os.path.join(K8S, "overlays", "*")) if os.path.isdir(d))
    failures = 0
    for overlay in overlays:
        rel = os.path.relpath(overlay, ROOT)
        run = subprocess.run([kubectl, "kustomize", overlay], capture_output=True, text=True)
        if run.returncode != 0:
            print("FAIL  %s: kubectl kustomize failed:\n%s" % (rel, run.stderr), file=sys.stderr)
            failures += 1
            continue
        objs = [o for o in yaml.safe_load_all(run.stdout) if o]
        errors = []
        for o in objs:
            errors += ["%s %s: %s" % (o.get("kind"), o.get("metadata", {}).get("name"), e)
                       for e in schema_errors(validators, o)]
        if not errors:  # the fit checks read fields the schemas vouch for
            errors = fit_errors(copy.deepcopy(objs))
        status = "FAIL" if errors else "OK"
        print("%-4s  %s: %s" % (status, rel, ", ".join("%s/%s" % (o["kind"], o["metadata"]["name"]) for o in objs)))
        for e in errors:
            print("      ERROR: " + e, file=sys.stderr)
        failures += bool(errors)
    print("validate_k8s: %d overlay(s), %d failed" % (len(overlays), failures))
    return 1 if failures or not overlays else 0


if __name__ == "__main__":
    sys.exit(main())
