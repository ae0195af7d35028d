#!/usr/bin/env python3
"""Check --format csv and json of report/compare: the JSON has a numabench.*-rows schema id,
its columns, and rows with exactly those columns; the CSV has the same header and as many rows.
An empty pair (the command failed: bad input) passes.

usage: check_tidy.py FILE.csv FILE.json
"""
import csv
import json
import sys


def main():
    csv_path, json_path = sys.argv[1:3]
    text = open(json_path, encoding="utf-8").read()
    if not text and not open(csv_path, encoding="utf-8").read():
        return 0
    doc = json.loads(text)
    schema, cols, rows = doc.get("schema", ""), doc.get("columns"), doc.get("rows")
    if not (schema.startswith("numabench.") and schema.endswith("-rows/1")):
        sys.exit(f"check_tidy: {json_path}: schema id {schema!r}")
    for i, r in enumerate(rows):
        if list(r) != cols:
            sys.exit(f"check_tidy: {json_path}: row {i} has columns {list(r)}, not {cols}")
    table = list(csv.reader(open(csv_path, encoding="utf-8", newline="")))
    if table[0] != cols or len(table) - 1 != len(rows):
        sys.exit(f"check_tidy: {csv_path}: header or row count differs from the JSON")
    return 0


if __name__ == "__main__":
    sys.exit(main())
