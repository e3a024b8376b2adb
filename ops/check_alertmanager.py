#!/usr/bin/env python3
"""Checks ops/alertmanager.yml: `amtool check-config`, then one `amtool config routes test`
per routing case of ops/routing-tests.yml, then its inhibition cases against a real
Alertmanager on loopback. Fails when a case routes elsewhere, when an alert is (not) muted
as its case says, or when an alert of ws-manager-rules.yml has no routing case.

    python3 ops/check_alertmanager.py [--rules ws-manager-rules.yml]

Needs amtool and the Alertmanager server (Debian: prometheus-alertmanager; or AMTOOL and
ALERTMANAGER) and PyYAML (python3-yaml).
"""

import argparse
import datetime
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CONFIG = os.path.join(ROOT, "ops", "alertmanager.yml")
CASES = os.path.join(ROOT, "ops", "routing-tests.yml")


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
        failures.append("%s has no routing case in ops/routing-tests.yml" % name)
    with open(CASES, encoding="utf-8") as f:
        inhibitions = yaml.safe_load(f).get("inhibitions", [])
    failures += check_inhibitions(inhibitions, alerts)
    for f in failures:
        print("ERROR:", f, file=sys.stderr)
    print("check_alertmanager: %d routing case(s), %d alert(s) covered, %d inhibition case(s), "
          "%d problem(s)" % (len(cases), len(covered), len(inhibitions), len(failures)))
    return 1 if failures else 0


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def api(base, path, body=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=5) as resp:
        raw = resp.read()
        return json.loads(raw) if raw else None


def check_inhibitions(cases, alerts):
    """Fires each case's alerts at a real Alertmanager and compares who is muted."""
    server = os.environ.get("ALERTMANAGER") or shutil.which("prometheus-alertmanager") or shutil.which("alertmanager")
    if not server:
        return ["the Alertmanager server was not found (install prometheus-alertmanager or set "
                "ALERTMANAGER): the inhibition cases did not run"]
    with open(CONFIG, encoding="utf-8") as f:
        config = yaml.safe_load(f)
    closed = free_port()  # nothing listens there: notifications fail on loopback, go nowhere else
    for r in config["receivers"]:
        for w in r.get("webhook_configs", []):
            w["url"] = "http://127.0.0.1:%d/%s" % (closed, r["name"])
    work = tempfile.mkdtemp()
    port = free_port()
    base = "http://127.0.0.1:%d" % port
    with open(os.path.join(work, "alertmanager.yml"), "w", encoding="utf-8") as f:
        yaml.safe_dump(config, f)
    log = open(os.path.join(work, "alertmanager.log"), "w")
    proc = subprocess.Popen([server, "--config.file=" + os.path.join(work, "alertmanager.yml"),
                             "--storage.path=" + os.path.join(work, "data"),
                             "--web.listen-address=127.0.0.1:%d" % port, "--cluster.listen-address="],
                            stdout=log, stderr=subprocess.STDOUT)
    failures = []
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(base + "/-/ready", timeout=1).read()
                break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    return ["Alertmanager did not start: " + open(log.name).read()[-500:]]
                time.sleep(0.2)
        now = datetime.datetime.now(datetime.timezone.utc)
        expected = {}
        for i, case in enumerate(cases):
            batch = []
            for a in case["alerts"]:
                labels = {"alertname": a["alert"], **alerts.get(a["alert"], {}),
                          "job": "inhibition-case-%d" % i, **a.get("labels", {})}
                batch.append({"labels": labels, "startsAt": now.isoformat(),
                              "endsAt": (now + datetime.timedelta(hours=1)).isoformat()})
                expected[json.dumps(labels, sort_keys=True)] = (case["name"], bool(a.get("inhibited")))
            api(base, "/api/v2/alerts", batch)
        deadline = time.monotonic() + 20
        while True:  # the inhibitor sees new alerts asynchronously: wait for the expected picture
            got = {json.dumps(a["labels"], sort_keys=True): bool(a["status"]["inhibitedBy"])
                   for a in api(base, "/api/v2/alerts")}
            wrong = [k for k, (_, muted) in expected.items() if got.get(k) != muted]
            if not wrong or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        for key, (name, muted) in expected.items():
            labels = json.loads(key)
            ok = got.get(key) == muted
            print("%-4s inhibition \"%s\": %s %s -> %s" % (
                "OK" if ok else "FAIL", name, labels["alertname"],
                " ".join("%s=%s" % kv for kv in sorted(labels.items()) if kv[0] not in ("alertname", "job")),
                "inhibited" if got.get(key) else ("not inhibited" if key in got else "missing")))
            if not ok:
                failures.append('inhibition "%s": %s should %sbe inhibited'
                                % (name, labels, "" if muted else "not "))
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(work, ignore_errors=True)
    return failures


if __name__ == "__main__":
    sys.exit(main())
