#!/bin/bash
# Real-browser check: headless Chromium (Debian's package) renders the HTML report and
# comparison; each screenshot must be a real picture (not blank, not one colour) and the
# rendered DOM must hold every chart the file has. Exit 77 (skip) without chromium.
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

chromium_run() {
	timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$(mktemp -d -p "$tmp")" "$@" 2>>"$tmp/chromium.log"
}

check() {
	local name=$1 html=$tmp/$1.html want got
	shift
	"$bin" "$@" --format html -o "$html" 2>/dev/null
	want=$(grep -c '<svg ' "$html")
	chromium_run --window-size=1200,3000 --screenshot="$tmp/$name.png" "file://$html" >/dev/null
	got=$(chromium_run --dump-dom "file://$html" | grep -c '<svg ')
	if python3 tests/analysis/png_check.py "$tmp/$name.png" 1200 3000 && [ "$want" -gt 0 ] &&
		[ "$got" = "$want" ]; then
		echo "browser: $name: $got of $want charts in the rendered page"
		pass=$((pass + 1))
	else
		fail=$((fail + 1))
		echo "FAIL: $name: $got of $want charts in the rendered page; chromium said:"
		tail -5 "$tmp/chromium.log"
	fi
}

check report-base report "$REF/synthetic-base.json"
check compare compare "$REF/synthetic-base.json" "$REF/synthetic-patched.json" \
	"$REF/synthetic-otherhost.json"
echo "browser: $pass passed, $fail failed"
[ "$fail" = 0 ]
