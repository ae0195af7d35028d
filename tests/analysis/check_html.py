#!/usr/bin/env python3
"""Check that a numabench HTML document is self-contained and well-formed, and list its charts.

usage: check_html.py FILE.html     prints one line per chart: KIND: TITLE
Exits 1 with a message when the file is not well-formed XML, has a script, loads anything
from outside, or has a chart without a title or a drawing.
"""
import html.parser
import re
import sys
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"


class Strict(html.parser.HTMLParser):
    """The HTML parser's view: tags must nest as the XML parser saw them."""

    VOID = {"meta", "wbr", "br", "img", "link"}

    def __init__(self):
        super().__init__()
        self.stack = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            raise ValueError(f"unbalanced </{tag}>")


def fail(path, why):
    print(f"check_html: {path}: {why}", file=sys.stderr)
    sys.exit(1)


def main():
    path = sys.argv[1]
    text = open(path, encoding="utf-8").read()
    if not text.startswith("<!DOCTYPE html>"):
        fail(path, "no <!DOCTYPE html>")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as e:
        fail(path, f"not well-formed: {e}")
    p = Strict()
    try:
        p.feed(text)
        p.close()
    except ValueError as e:
        fail(path, str(e))
    if re.search(r"<script|javascript:|\son[a-z]+=", text, re.I):
        fail(path, "has a script")
    external = [u for u in re.findall(r"(?:src|href)\s*=\s*\"([^\"]*)\"|url\(([^)#][^)]*)\)",
                                      text) if any(u) and not u[0].startswith("#")]
    if external or re.search(r"https?://(?!www\.w3\.org/2000/svg)", text):
        fail(path, f"refers to outside resources: {external}")
    for svg in root.iter(SVG + "svg"):
        title = svg.find(SVG + "title")
        kind = svg.get("data-chart")
        drawn = [e for e in svg.iter() if e.tag in (SVG + "rect", SVG + "path", SVG + "line")]
        if kind is None or title is None or not title.text or len(drawn) < 2:
            fail(path, f"a chart without kind, title or drawing: {kind} {title}")
        print(f"{kind}: {title.text}")


if __name__ == "__main__":
    main()
