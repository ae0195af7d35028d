#!/bin/bash
# Tests of `numabench fleet`: tests/fleet/run.sh ./numabench [ROUNDS]
#  - ROUNDS (default 3) fleets the tests never saw (make-fleet.py, a fresh random seed each,
#    printed on failure): exactly the planted hosts flagged, each with its cause, the planted
#    trends, the single host, the malformed files skipped (check.py);
#  - every format renders (HTML self-contained, CSV with its header), -o writes the file;
#  - bad input: one line on stderr, exit 2.
set -uo pipefail
bin=$(realpath "${1:?usage: run.sh NUMABENCH [ROUNDS]}")
rounds=${2:-3}
cd "$(dirname "$0")/../.."
. tests/lib.sh
t_init fleet nbfleet

for r in $(seq "$rounds"); do
	rm -rf "$T/fleet" "$T/expected.json"
	python3 tests/fleet/make-fleet.py "$T/fleet/files"
	"$bin" fleet "$T/fleet/files" --format json >"$T/fleet.json" 2>"$T/err"
	rc=$?
	if [ $rc = 0 ] && python3 tests/fleet/check.py "$T/fleet.json" "$T/fleet/expected.json"; then
		ok "fleet round $r (seed $(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["seed"])' "$T/fleet/expected.json")): planted hosts, causes, trends, skipped files"
	else
		bad "fleet round $r: exit $rc $(head -c 300 "$T/err")"
	fi
done

files=$T/fleet/files
for fmt in text md html csv; do
	if "$bin" fleet "$files" --format $fmt -o "$T/out.$fmt" 2>"$T/err" && [ -s "$T/out.$fmt" ]; then
		ok "--format $fmt"
	else
		bad "--format $fmt: $(head -c 300 "$T/err")"
	fi
done
if grep -q '<svg' "$T/out.html" && ! grep -Eq '(src|href)="(https?:)?//' "$T/out.html" &&
	python3 tests/analysis/check_html.py "$T/out.html" >/dev/null 2>&1; then
	ok "html: well-formed, self-contained, with a heatmap"
else
	bad "html: not well-formed and self-contained with an svg heatmap"
fi
if head -1 "$T/out.csv" | grep -q '^host,class,flagged,kind,what,'; then
	ok "csv header"
else
	bad "csv header: $(head -1 "$T/out.csv")"
fi

expect_usage() { # expect_usage WHAT ARGS...: exit 2, one line on stderr naming what is valid
	local what=$1
	shift
	"$bin" fleet "$@" >"$T/out" 2>"$T/err"
	local rc=$?
	if [ $rc = 2 ] && [ "$(wc -l <"$T/err")" = 1 ] && grep -Eq "valid|usage:" "$T/err" && [ ! -s "$T/out" ]; then
		ok "bad input: $what"
	else
		bad "bad input: $what: exit $rc, stderr: $(cat "$T/err")"
	fi
}
expect_usage "no files"
expect_usage "--z 0" "$files" --z 0
expect_usage "--z abc" "$files" --z abc
expect_usage "--threshold -1" "$files" --threshold -1
expect_usage "--format xml" "$files" --format xml
expect_usage "unknown option" "$files" --frobnicate
# nothing readable at all is not an error: the report lists every file skipped
if "$bin" fleet /nonexistent --format json >"$T/none.json" 2>"$T/err" &&
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(not (d["files_read"] == 0 and d["skipped"][0]["file"] == "/nonexistent"))' "$T/none.json"; then
	ok "a missing file is listed as skipped"
else
	bad "a missing file: $(cat "$T/err")"
fi
t_done
