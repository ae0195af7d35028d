#!/usr/bin/env python3
"""Check a report or comparison as Chromium rendered it (--dump-dom output):

- the summary comes first: a report's first section is "NUMA summary"; a comparison's first
  section is "Side by side" (3+ files) or opens with "Significant changes, largest first";
- no chart has two identical legend labels;
- (report, with RESULT.json) every untrustworthy matrix cell is marked: a heatmap cell with
  data-cell="RUN.CELL" and data-status="untrustworthy" exists for it.

usage: check_dom.py report|compare DOM.html [RESULT.json]
"""
import html.parser
import json
import sys


class Dom(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.heads = []  # (tag, text) of h2/h3 in order
        self.legends = []  # per svg: list of legend labels
        self.marked = {}  # data-cell -> data-status
        self.cur = None
        self.legend = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag in ("h2", "h3"):
            self.cur = [tag, ""]
        elif tag == "svg":
            self.legends.append([])
        elif tag == "text" and a.get("class") == "legend":
            self.legend = True
            self.legends[-1].append("")
        elif tag == "g" and "data-cell" in a:
            self.marked[a["data-cell"]] = a.get("data-status", "ok")

    def handle_endtag(self, tag):
        if tag in ("h2", "h3") and self.cur:
            self.heads.append(tuple(self.cur))
            self.cur = None
        elif tag == "text":
            self.legend = False

    def handle_data(self, data):
        if self.cur:
            self.cur[1] += data
        if self.legend:
            self.legends[-1][-1] += data


def main():
    kind, path = sys.argv[1:3]
    dom = Dom()
    dom.feed(open(path, encoding="utf-8").read())
    errors = []
    h2 = [t for tag, t in dom.heads if tag == "h2"]
    if kind == "report" and (not h2 or h2[0] != "NUMA summary"):
        errors.append(f"first section is {h2[:1]}, not NUMA summary")
    if kind == "compare":
        first_h3 = next((t for tag, t in dom.heads if tag == "h3" and t != "Contents"), None)
        if not h2 or (h2[0] != "Side by side" and first_h3 != "Significant changes, largest first"):
            errors.append(f"comparison does not open with its summary: {h2[:1]} {first_h3}")
    for i, labels in enumerate(dom.legends):
        dup = {x for x in labels if labels.count(x) > 1}
        if dup:
            errors.append(f"chart {i + 1}: identical legend labels {sorted(dup)}")
    unmarked = 0
    if len(sys.argv) > 3:
        doc = json.load(open(sys.argv[3], encoding="utf-8"))
        for r, run in enumerate(doc.get("runs", []), 1):
            for c, cell in enumerate(run.get("cells") or [], 1 - 1):
                if not (isinstance(cell.get("cpu_node"), int)
                        and isinstance(cell.get("mem_node"), int)):
                    continue
                if cell.get("status") != "untrustworthy":
                    continue
                if dom.marked.get(f"{r}.{c}") != "untrustworthy":
                    unmarked += 1
        if unmarked:
            errors.append(f"{unmarked} untrustworthy cells not marked")
    for e in errors:
        print(f"check_dom: {path}: {e}", file=sys.stderr)
    marked = sum(1 for v in dom.marked.values() if v == "untrustworthy")
    print(f"{len(dom.legends)} charts, {marked} untrustworthy cells marked")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
