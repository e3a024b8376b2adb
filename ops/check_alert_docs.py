#!/usr/bin/env python3
"""Checks that every alert in ws-manager-rules.yml is documented.

For each `- alert: Name` block: labels.severity, annotations summary, description and
runbook_url must be present; runbook_url must end in docs/runbook.md#<slug> where <slug> is the
GitHub anchor of a heading in docs/runbook.md whose text is exactly the alert name; and the
alert must appear in docs/operations.md. Standard library only.

    python3 ops/check_alert_docs.py
"""

import os
import re
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def slug(heading):
    """GitHub's heading anchor: lower case, punctuation dropped, spaces to hyphens."""
    s = heading.strip().lower()
    s = re.sub(r"[^\w\- ]", "", s)
    return s.replace(" ", "-")


def alert_blocks(text):
    """Yields (name, block text) for every `- alert:` entry."""
    matches = list(re.finditer(r"^(\s*)- alert:\s*(\S+)\s*$", text, re.M))
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(text)
        # stop at the next list item of the same or a lower indentation
        rest = text[m.end():end]
        indent = len(m.group(1))
        cut = re.search(r"^ {0,%d}- " % indent, rest, re.M)
        if cut:
            rest = rest[:cut.start()]
        yield m.group(2), rest


def main():
    rules = open(os.path.join(ROOT, "ws-manager-rules.yml"), encoding="utf-8").read()
    runbook = open(os.path.join(ROOT, "docs", "runbook.md"), encoding="utf-8").read()
    operations = open(os.path.join(ROOT, "docs", "operations.md"), encoding="utf-8").read()
    headings = {slug(h): h.strip() for h in re.findall(r"^#{1,6}\s+(.+)$", runbook, re.M)}

    errors = []
    names = []
    for name, block in alert_blocks(rules):
        names.append(name)
        for key in ("severity", "summary", "description", "runbook_url"):
            if not re.search(r"^\s*%s:\s*\S" % key, block, re.M):
                errors.append("%s: no %s" % (name, key))
        m = re.search(r"^\s*runbook_url:\s*(\S+)", block, re.M)
        if m:
            url = m.group(1).strip("'\"")
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
