#!/bin/bash
# Tests of `numabench report` and `compare`: tests/analysis/run.sh ./numabench
#  - golden: text and Markdown exactly as in golden/, HTML well-formed and self-contained with
#    the same charts, stderr and exit code as recorded (refresh with regen.sh);
#  - bad input: malformed, truncated or wrong-schema results, mixed units, bad options: one
#    line on stderr, nothing on stdout, the documented exit code;
#  - firmware: SLIT as an order and the distance classes (check_firmware.py);
#  - output: -o writes atomically, colour only on a terminal, --threshold exits 5;
#  - reference schema: results/reference/*.json are of the schema a fresh run writes.
set -uo pipefail
bin=$(realpath "${1:?usage: run.sh NUMABENCH}")
cd "$(dirname "$0")/../.."
. tests/analysis/cases.sh
gold=tests/analysis/golden
. tests/lib.sh
T_QUIET_OK=1
t_init analysis nbanalysis
tmp=$T

check_golden() {
	local name=$1 ext
	for ext in txt md csv json status; do
		if [ ! -f "$gold/$name.$ext" ]; then
			bad "$name.$ext: no golden file (run tests/analysis/regen.sh and review it)"
		elif diff -u "$gold/$name.$ext" "$tmp/$name.$ext" >"$tmp/diff"; then
			ok
		else
			bad "$name.$ext differs from $gold/$name.$ext:"
			head -40 "$tmp/diff"
		fi
	done
	# text within 120 columns (issue 13): wrapped cells and column blocks, never longer lines
	if python3 -c 'import sys; sys.exit(any(len(l.rstrip("\n")) > 120 for l in open(sys.argv[1], encoding="utf-8")))' "$tmp/$name.txt"; then
		ok
	else
		bad "$name.txt: a line longer than 120 columns"
	fi
	if python3 tests/analysis/check_tidy.py "$tmp/$name.csv" "$tmp/$name.json"; then
		ok
	else
		bad "$name.csv/json: not tidy rows with a schema id"
	fi
	if python3 tests/analysis/check_html.py "$tmp/$name.html" >"$tmp/$name.charts" &&
		diff -u "$gold/$name.charts" "$tmp/$name.charts"; then
		ok
	else
		bad "$name.html: not well-formed, not self-contained, or other charts than golden"
	fi
}

golden() {
	local name args g
	golden_cases >"$tmp/cases"
	while read -r name args; do
		# shellcheck disable=SC2086 # args is a word list by construction
		run_case "$bin" "$tmp" "$name" $args
		check_golden "$name"
	done <"$tmp/cases"
	for g in "$gold"/*.status; do
		grep -q "^$(basename "$g" .status) " "$tmp/cases" ||
			bad "stale golden $g: no such case (run tests/analysis/regen.sh)"
	done
}

# expect_error RC PATTERN ARGS...: exit RC, no stdout, one stderr line matching PATTERN.
expect_error() {
	local want=$1 pat=$2 rc
	shift 2
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err" && rc=0 || rc=$?
	if [ "$rc" = "$want" ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" = 1 ] &&
		grep -q -- "$pat" "$tmp/err"; then
		ok
	else
		bad "$* -> exit $rc (want $want), $(wc -c <"$tmp/out") bytes out, stderr: $(cat "$tmp/err")"
	fi
}

# mutate NAME PYTHON: a copy of the base fixture changed by a Python statement on `d`.
mutate() {
	python3 - "$FIX/synthetic-base.json" "$tmp/$1.json" "$2" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
}

bad_inputs() {
	local base=$FIX/synthetic-base.json
	head -c 2000 "$base" >"$tmp/truncated.json"
	: >"$tmp/empty.json"
	echo "not json" >"$tmp/garbage.json"
	sed 's|numabench.result/1|numabench.result/3|' "$base" >"$tmp/schema3.json"
	sed 's|numabench.result/1|otherthing/1|' "$base" >"$tmp/otherschema.json"
	mutate noschema 'del d["schema"]'
	mutate runsobject 'd["runs"] = {}'
	mutate benchnumber 'd["runs"][2]["bench"] = 3'
	mutate direction 'd["runs"][2]["metrics"]["faults"]["direction"] = "faster"'
	mutate samples 'd["runs"][0]["cells"][1]["metrics"]["latency_ns"]["samples"] = 5'
	mutate units 'd["runs"][0]["cells"][5]["metrics"]["latency_ns"]["unit"] = "us"'
	mutate flipped 'd["runs"][2]["metrics"]["faults"]["direction"] = "higher"'
	expect_error 2 "invalid JSON" report "$tmp/truncated.json"
	expect_error 2 "invalid JSON" report "$tmp/empty.json"
	expect_error 2 "invalid JSON" report "$tmp/garbage.json"
	expect_error 2 "major version 3" report "$tmp/schema3.json"
	expect_error 2 "unknown schema" report "$tmp/otherschema.json"
	expect_error 2 "schema" report "$tmp/noschema.json"
	expect_error 2 "runs" report "$tmp/runsobject.json"
	expect_error 2 "runs\[2\].bench" report "$tmp/benchnumber.json"
	expect_error 2 "metrics.faults.direction" report "$tmp/direction.json"
	expect_error 2 "cells\[1\].metrics.latency_ns.samples" compare "$base" "$tmp/samples.json"
	expect_error 2 "cannot read" report "$tmp/missing.json"
	expect_error 2 "schema3.json" compare "$base" "$tmp/schema3.json"
	expect_error 2 'unit "ns" in synthetic-base.json but "us"' compare "$base" "$tmp/units.json"
	expect_error 2 'direction "lower"' compare "$base" "$tmp/flipped.json"
	expect_error 2 "unknown format \"pdf\"" report "$base" --format pdf
	expect_error 2 "unknown option \"--bogus\"" report "$base" --bogus
	expect_error 2 "needs a value" report "$base" -o
	expect_error 2 "exactly one" report "$base" "$base"
	expect_error 2 "baseline and at least one" compare "$base"
	expect_error 2 "bad --threshold \"abc\"" compare "$base" "$base" --threshold abc
	expect_error 2 "unknown option \"--threshold\"" report "$base" --threshold 5
	expect_error 2 "bad --practical \"-1\"" compare "$base" "$base" --practical -1
	expect_error 2 "bad --practical \"x\"" compare "$base" "$base" --practical x
	expect_error 2 "unknown option \"--fdr\"" report "$base" --fdr
	expect_error 4 "cannot write /nonexistent-dir/r.txt" report "$base" -o /nonexistent-dir/r.txt
	echo keep >"$tmp/target.txt"
	ln -s "$tmp/target.txt" "$tmp/link.txt"
	expect_error 4 "cannot write $tmp/link.txt: it is a symlink" report "$base" -o "$tmp/link.txt"
	[ "$(cat "$tmp/target.txt")" = keep ] && ok || bad "report -o wrote through a symlink"
}

outputs() {
	local base=$FIX/synthetic-base.json patched=$FIX/synthetic-patched.json rc
	"$bin" report "$base" --format md >"$tmp/stdout.md"
	"$bin" report "$base" --format md -o "$tmp/file.md"
	if cmp -s "$tmp/stdout.md" "$tmp/file.md" && [ -z "$(find "$tmp" -name '.file.md.*')" ]; then
		ok
	else
		bad "-o FILE differs from stdout or left a temp file"
	fi
	"$bin" compare "$base" "$patched" --threshold 50 >/dev/null 2>&1 && rc=0 || rc=$?
	[ "$rc" = 0 ] && ok || bad "compare --threshold 50 exited $rc, want 0 (regressions are 7.5%)"
	if grep -q $'\033' "$tmp/stdout.md" "$gold"/*.txt; then bad "colour codes in a file"; else ok; fi
	# significant = statistically AND practically (--practical, default 2%): the rows say which
	"$bin" compare "$base" "$patched" --format json -o "$tmp/p2.json"
	"$bin" compare "$base" "$patched" --format json --practical 0 -o "$tmp/p0.json"
	if python3 - "$tmp/p2.json" "$tmp/p0.json" <<'PY'; then ok; else bad "compare --practical"; fi
import json, sys
p2, p0 = (json.load(open(f))["rows"] for f in sys.argv[1:])
sig = lambda r: r["verdict"] in ("improvement", "regression", "changed")
for r in p2:
    assert sig(r) == (r["statistically_significant"] and r["practically_significant"]), r
    assert r["practically_significant"] == (abs(r["change"]) >= 0.02), r
small = [r for r in p2 if r["statistically_significant"] and not r["practically_significant"]]
assert small, "the synthetic pair has a statistically significant change below 2%"
assert all(sig(r) == r["statistically_significant"] for r in p0)
assert sum(map(sig, p0)) == sum(map(sig, p2)) + len(small)
PY
	# extreme but valid values (a cell at +1.7e308, another at -1.7e308: the colour scale's
	# range overflows to inf) render in every format; this crashed the heatmap (found by the
	# report fuzzer)
	mutate extreme 'c = d["runs"][0]["cells"]
for cell, v in ((c[0], 1.7e308), (c[1], -1.7e308)):
    for m in cell["metrics"].values():
        m.update(samples=[v] * len(m["samples"]), median=v, mean=v, min=v, max=v)'
	local f
	for f in text md html; do
		"$bin" report "$tmp/extreme.json" --format $f >"$tmp/extreme.$f" 2>&1 && rc=0 || rc=$?
		[ "$rc" = 0 ] && ok || bad "report --format $f of extreme values exited $rc"
	done
	"$bin" compare "$base" "$tmp/extreme.json" --format html >/dev/null 2>&1 && rc=0 || rc=$?
	[ "$rc" = 0 ] && ok || bad "compare with extreme values exited $rc"
	if command -v script >/dev/null; then
		script -qec "$bin report $base" /dev/null </dev/null >"$tmp/tty.txt"
		grep -q $'\033\\[32mok' "$tmp/tty.txt" && ok || bad "no colour on a terminal"
		NO_COLOR=1 script -qec "$bin report $base" /dev/null </dev/null >"$tmp/tty.txt"
		grep -q $'\033' "$tmp/tty.txt" && bad "colour despite NO_COLOR" || ok
	fi
}

# the firmware comparison and distance classes, read from the summary's JSON rows
firmware() {
	local c
	for c in amd2 reversed nps4x2 cxl; do
		"$bin" report "$FIX/synthetic-slit-$c.json" --format json >"$tmp/slit-$c.json"
		if python3 tests/analysis/check_firmware.py "$c" "$tmp/slit-$c.json"; then
			ok
		else
			bad "synthetic-slit-$c: summary rows (class, firmware order) as not expected"
		fi
	done
	# HMAT read as an order too: published latency of 0>1 above 0>2's, measured far below it
	python3 - "$FIX/synthetic-slit-cxl.json" "$tmp/hmat.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
d["topology"]["memattrs"]["latency"][1]["value"] = 300
json.dump(d, open(sys.argv[2], "w"))
PY
	"$bin" report "$tmp/hmat.json" --format json >"$tmp/slit-hmat.json"
	if python3 tests/analysis/check_firmware.py hmat "$tmp/slit-hmat.json"; then
		ok
	else
		bad "HMAT latency order contradicted by the measurement: not flagged"
	fi
}

# The reference results are of the schema numabench writes now, read from what it writes: a
# tiny real run (fault, one 2M cell of 4k pages, well under a second), against each
# results/reference/*.json. A stale one: regenerate it (README "QEMU NUMA guests":
# ONLY=quick UPDATE_REFERENCE=1 bash tests/guest/run.sh ./numabench) and the goldens (regen.sh).
# OLD_OK names the files still accepted at an older schema, with the reason; an entry that is
# no longer old fails too, so the list cannot outlive its reason. The readers' /1 inputs are
# tests/fixtures/result1, /1 on purpose, and must stay /1.
OLD_OK=()
reference_schema() {
	local f want got name old
	rm -f "$tmp/now.json"
	(cd "$tmp" && "$bin" run fault --set fault.size=2M --set fault.pages=4k -o "$tmp/now.json" \
		>/dev/null 2>"$tmp/now.err")
	want=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["schema"])' \
		"$tmp/now.json" 2>/dev/null)
	case "$want" in
	numabench.result/*) ok ;;
	*)
		bad "reference schema: a tiny run wrote no results schema ($(tail -1 "$tmp/now.err"))"
		return
		;;
	esac
	for f in results/reference/*.json; do
		[ -e "$f" ] || continue
		name=$(basename "$f")
		got=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("schema"))' "$f")
		old=""
		for o in "${OLD_OK[@]}"; do
			[ "${o%%:*}" = "$name" ] && old=${o#*:}
		done
		if [ "$got" = "$want" ] && [ -z "$old" ]; then
			ok
		elif [ "$got" = "$want" ]; then
			bad "$f is $want now: remove it from OLD_OK in tests/analysis/run.sh"
		elif [ -n "$old" ]; then
			ok # accepted at $got:$old
		else
			bad "$f: schema $got, numabench writes $want: regenerate it (tests/guest/run.sh, UPDATE_REFERENCE=1) and the goldens"
		fi
	done
	for f in tests/fixtures/result1/*.json; do
		got=$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1])).get("schema"))' "$f")
		[ "$got" = numabench.result/1 ] && ok || bad "$f: schema $got, a /1 reader fixture must stay numabench.result/1"
	done
}

golden
firmware
bad_inputs
outputs
reference_schema
t_done
