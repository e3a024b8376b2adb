#!/usr/bin/env python3
"""Checks ops/alertmanager.yml: `amtool check-config`, then one `amtool config routes test`
per case of ops/alertmanager-tests.yml. Fails when a case routes elsewhere, or when an alert of
ws-manager-rules.yml has no case.

    python3 ops/check_alertmanager.py [--rules ws-manager-rules.yml]

Needs amtool (Debian: prometheus-alertmanager; or AMTOOL) and PyYAML (python3-yaml).
"""

import argparse
import os
import shutil
import subprocess
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "ops", "alertmanager.yml")
CASES = os.path.join(ROOT, "ops", "alertmanager-tests.yml")


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rules", default=os.path.join(ROOT, "ws-manager-rules.yml"))
    args = ap.parse_args()
    amtool = os.environ.get("AMTOOL", "amtool")
    if not shutil.which(amtool):
        print("check_alertmanager: amtool not found (install prometheus-alertmanager or set AMTOOL)",
              file=sys.stderr)
        return 2

    check = subprocess.run([amtool, "check-config", CONFIG], capture_output=True, text=True)
    print(check.stdout.strip())
    if check.returncode != 0:
        print(check.stderr, file=sys.stderr)
        return 1

    with open(args.rules, encoding="utf-8") as f:
        alerts = {r["alert"]: r.get("labels", {}) for g in yaml.safe_load(f)["groups"]
                  for r in g["rules"] if "alert" in r}
    with open(CASES, encoding="utf-8") as f:
        cases = yaml.safe_load(f)["cases"]

    failures = []
    covered = set()
    for case in cases:
        labels = {}
        name = case.get("alert")
        if name:
            if name not in alerts:
                failures.append("case for %s: no such alert in %s" % (name, os.path.basename(args.rules)))
                continue
            covered.add(name)
            labels = {"alertname": name, **alerts[name], "job": "ws-manager"}
        labels.update(case.get("labels", {}))
        receivers = ",".join(case["receivers"])
        argv = [amtool, "config", "routes", "test", "--config.file=" + CONFIG,
                "--verify.receivers=" + receivers] + ["%s=%s" % kv for kv in sorted(labels.items())]
        run = subprocess.run(argv, capture_output=True, text=True)
        got = run.stdout.strip() or run.stderr.strip()
        shown = " ".join("%s=%s" % kv for kv in sorted(labels.items()))
        print("%-4s %s -> %s" % ("OK" if run.returncode == 0 else "FAIL", shown, got))
        if run.returncode != 0:
            failures.append("%s: expected receivers %s, amtool said: %s" % (shown, receivers, got))

    for name in sorted(set(alerts) - covered):
        failures.append("%s has no routing case in ops/alertmanager-tests.yml" % name)
    for f in failures:
        print("ERROR:", f, file=sys.stderr)
    print("check_alertmanager: %d case(s), %d alert(s) covered, %d problem(s)"
          % (len(cases), len(covered), len(failures)))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
