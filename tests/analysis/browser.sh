#!/bin/bash
# Real-browser check: headless Chromium (Debian's package) renders the HTML report of every
# reference result and the comparisons; each screenshot must be a real picture (not blank, not
# one colour), the rendered DOM must hold every chart the file has, open with the summary, have
# no chart with two identical legend labels, and mark every untrustworthy cell
# (check_dom.py). Exit 77 (skip) without chromium.
# usage: tests/analysis/browser.sh ./numabench
set -uo pipefail
bin=$(realpath "${1:?usage: browser.sh NUMABENCH}")
cd "$(dirname "$0")/../.."
if ! command -v chromium >/dev/null; then
	echo "SKIP: chromium is not installed (apt-get install chromium)"
	exit 77
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0
REF=results/reference
FIX=tests/fixtures/result1

chromium_run() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d -p "$tmp")" "$@" 2>>"$tmp/chromium.log"
}

check() {
	local name=$1 kind=$2 result=$3 html=$tmp/$1.html want got
	shift 3
	"$bin" "$@" --format html -o "$html" 2>/dev/null
	want=$(grep -c '<svg ' "$html")
	chromium_run --window-size=1200,3000 --screenshot="$tmp/$name.png" "file://$html" >/dev/null
	chromium_run --dump-dom "file://$html" >"$tmp/$name.dom"
	got=$(grep -c '<svg ' "$tmp/$name.dom")
	if python3 tests/analysis/png_check.py "$tmp/$name.png" 1200 3000 && [ "$want" -gt 0 ] &&
		[ "$got" = "$want" ] &&
		dom=$(python3 tests/analysis/check_dom.py "$kind" "$tmp/$name.dom" $result); then
		echo "browser: $name: $got of $want charts in the rendered page; $dom"
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $name: $got of $want charts in the rendered page; chromium said:"
		python3 tests/analysis/check_dom.py "$kind" "$tmp/$name.dom" $result
		tail -5 "$tmp/chromium.log"
	fi
}

for f in "$REF"/*.json "$FIX"/*.json; do
	case "$f" in *minimal*) continue ;; esac # no charts in it
	check "report-$(basename "$f" .json)" report "$f" report "$f"
done
check compare compare "" compare "$FIX/synthetic-base.json" "$FIX/synthetic-patched.json" \
	"$FIX/synthetic-otherhost.json"
check compare-topology compare "" compare "$REF/guest-2node-6.1-quick.json" \
	"$REF/guest-4node-asym-6.12-quick.json"
echo "browser: $pass passed, $fail failed"
[ "$fail" = 0 ]
