#!/bin/bash
# Replays the corpus of captured real machines (tests/fixtures/topologies: hwloc's own test
# topologies, XML 1.x/2.x and /sys trees) with NUMABENCH_TOPOLOGY / NUMABENCH_FSROOT and checks
# `numabench topo --json` against the facts tests/host/topo_facts.py reads from each capture
# itself (xml.etree, /sys files), never from numabench. An XML too new for this hwloc must be
# refused (exit 2, one line naming the file); `run` on any replay is refused up front (exit 2).
# Usage: tests/host/corpus.sh ./numabench [CAPTURE...]
set -u
NB=$(realpath "${1:-./numabench}")
shift
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib.sh"
t_init corpus
[ $# -gt 0 ] || set -- "$HERE"/../fixtures/topologies/*.xml "$HERE"/../fixtures/topologies/*.tar.bz2
for f in "$@"; do
	f=$(realpath "$f")
	name=$(basename "$f")
	case $f in
	*.tar.bz2)
		mkdir -p "$T/$name.d" && tar -xjf "$f" -C "$T/$name.d" || {
			bad "$name: cannot extract"
			continue
		}
		src=$(echo "$T/$name.d"/*/)
		src=${src%/}
		envv=(NUMABENCH_FSROOT="$src")
		want_source="fsroot:$src"
		;;
	*)
		src=$f
		envv=(NUMABENCH_TOPOLOGY="$f")
		want_source="xml:$f"
		;;
	esac
	python3 "$HERE/topo_facts.py" "$src" >"$T/$name.facts" || {
		bad "$name: the independent reader fails"
		continue
	}
	skip=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("skip",""))' "$T/$name.facts")
	if [ -n "$skip" ]; then
		echo "skip $name: $skip"
		continue
	fi
	env "${envv[@]}" "$NB" topo --json >"$T/$name.json" 2>"$T/$name.err"
	rc=$?
	refused=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1])).get("refused",""))' "$T/$name.facts")
	if [ -n "$refused" ]; then
		if [ $rc -eq 2 ] && [ "$(wc -l <"$T/$name.err")" -eq 1 ] && grep -qF "$f" "$T/$name.err" &&
			grep -qF "$refused" "$T/$name.err"; then
			ok "$name: refused (exit 2): $(cat "$T/$name.err")"
		else
			bad "$name: hwloc XML $refused: rc $rc (want 2, one line naming the file and the version): $(cat "$T/$name.err")"
		fi
		continue
	fi
	if [ $rc -ne 0 ]; then
		bad "$name: topo --json exit $rc: $(head -3 "$T/$name.err")"
		continue
	fi
	if why=$(python3 "$HERE/check_topo.py" "$T/$name.facts" "$T/$name.json" "$want_source" 2>&1); then
		ok "$name: $why"
	else
		bad "$name: numabench differs from the capture:"
		echo "$why" | sed 's/^/     /'
	fi
	# a replay is not this machine: run refuses it before writing anything
	env "${envv[@]}" "$NB" run latency -o "$T/run.json" >/dev/null 2>"$T/run.err"
	rc=$?
	# (the replay's own warnings come first: one error line ends it)
	if [ $rc -eq 2 ] && [ "$(grep -vc ': warning: ' "$T/run.err")" -eq 1 ] &&
		grep -q "is replayed" "$T/run.err" && [ ! -e "$T/run.json" ]; then
		:
	else
		bad "$name: run on the replay: rc $rc (want 2, one line, no results file): $(head -2 "$T/run.err")"
	fi
done
t_done
