#!/bin/bash
# Refresh the golden files from the current numabench: tests/analysis/regen.sh ./numabench
# Review the diff (git diff tests/analysis/golden) before checking it in.
set -euo pipefail
bin=$(realpath "${1:?usage: regen.sh NUMABENCH}")
cd "$(dirname "$0")/../.."
. tests/analysis/cases.sh
gold=tests/analysis/golden
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
rm -f "$gold"/*
while read -r name args; do
	# shellcheck disable=SC2086 # args is a word list by construction
	run_case "$bin" "$tmp" "$name" $args
	cp "$tmp/$name.txt" "$tmp/$name.md" "$tmp/$name.csv" "$tmp/$name.json" "$tmp/$name.status" \
		"$gold/"
	python3 tests/analysis/check_html.py "$tmp/$name.html" >"$gold/$name.charts"
	echo "regen: $name"
done < <(golden_cases)
