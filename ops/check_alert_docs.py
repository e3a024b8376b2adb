#!/usr/bin/env python3
"""Checks that every alert in ws-manager-rules.yml is documented.

For each alert of ws-manager-rules.yml: labels.severity, annotations summary, description and
runbook_url must be present; runbook_url must end in docs/runbook.md#<slug> where <slug> is the
GitHub anchor of a heading in docs/runbook.md whose text is exactly the alert name; and the
alert must appear in docs/operations.md. Needs PyYAML (Debian: python3-yaml).

    python3 ops/check_alert_docs.py
"""

import os
import re
import sys

import yaml

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def slug(heading):
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def main():
    with open(os.path.join(ROOT, "ws-manager-rules.yml"), encoding="utf-8") as f:
        rules = [r for g in yaml.safe_load(f)["groups"] for r in g["rules"] if "alert" in r]
    runbook = open(os.path.join(ROOT, "docs", "runbook.md"), encoding="utf-8").read()
    operations = open(os.path.join(ROOT, "docs", "operations.md"), encoding="utf-8").read()
    headings = {slug(h): h.strip() for h in re.findall(r"^#{1,6}\s+(.+)$", runbook, re.M)}

    errors = []
    names = [r["alert"] for r in rules]
    for r in rules:
        name = r["alert"]
        present = {"severity": r.get("labels", {}).get("severity")}
        present.update({k: r.get("annotations", {}).get(k) for k in ("summary", "description", "runbook_url")})
        for key, value in present.items():
            if not str(value or "").strip():
                errors.append("%s: no %s" % (name, key))
        url = present["runbook_url"]
        if url:
            if "docs/runbook.md#" not in url:
                errors.append("%s: runbook_url %s does not point into docs/runbook.md" % (name, url))
            else:
                anchor = url.split("#", 1)[1]
                if anchor != slug(name):
                    errors.append("%s: runbook_url anchor #%s is not #%s" % (name, anchor, slug(name)))
                elif headings.get(anchor) != name:
                    errors.append("%s: docs/runbook.md has no heading '%s'" % (name, name))
        if name not in operations:
            errors.append("%s: not listed in docs/operations.md" % name)
    if not names:
        errors.append("no alerts found in ws-manager-rules.yml")
    if len(set(names)) != len(names):
        errors.append("duplicate alert names")

    for e in errors:
        print("ERROR:", e, file=sys.stderr)
    if errors:
        return 1
    print("check_alert_docs: OK (%d alerts documented)" % len(names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
