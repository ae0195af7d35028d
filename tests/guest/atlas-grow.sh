#!/bin/bash
# Grow a kernel atlas one kernel per step, the way the README's "The atlas as measured" was made.
#
#   tests/guest/atlas-grow.sh BIN OUTDIR KERNEL...
#
# Step i runs `numabench atlas --kernels K1,...,Ki` into OUTDIR/atlas-i.json with one cache: the
# first i-1 kernels come from the cache, so each step boots only kernel i's guests and a stop at
# any point leaves a complete atlas of the kernels done so far. KERNEL is anything --kernels
# takes (a package name, 6.1, 6.12, a bzImage path), in the order to measure them (the report
# orders by version whatever the order here).
#
# - The binary is frozen: BIN, configs/ and harness/initramfs/ of this source tree are copied
#   once into OUTDIR/bin/ and every step runs that copy (an entry's cache key includes the
#   binary's hash: a rebuild halfway would measure every kernel again). A restart reuses
#   OUTDIR/bin/ and skips the steps whose atlas-i.json exists; FREEZE=0 runs BIN itself.
# - OUTDIR/steps.tsv: per step its kernel, exit code, kernels_booted and wall seconds. A step
#   that booted more than one kernel breaks "adding one kernel boots one kernel's guests": it is
#   reported and the script exits 1 at the end (0 booted is a kernel already cached: fine).
# - A file OUTDIR/STOP ends the run after the step in progress.
# - At the end: OUTDIR/atlas-all.json (the last step's atlas), atlas-all.md (`atlas-report
#   --format md`) and atlas-all-rows.csv (`--format csv`), the README table and
#   results/reference/atlas-all-rows.csv.
#
# Environment: CACHE (the atlas and kernel cache, default OUTDIR/cache; --cache), FORCE
# (default never,always,ptrace: the whole GUP matrix), TIMEOUT (per guest, default 600 s),
# ATLAS_ARGS (more `atlas` options, e.g. --no-tier), FREEZE (default 1).
# Time here (2-core host, TCG): 106-168 s per 6.1 kernel, 187-253 s per 6.12 kernel with all
# four guests; about an hour for the 20 kernels of the README.
set -u

BIN=${1:?usage: $0 BIN OUTDIR KERNEL...}
OUTDIR=${2:?usage: $0 BIN OUTDIR KERNEL...}
shift 2
[ $# -gt 0 ] || {
	echo "atlas-grow: no KERNEL given (valid: anything numabench atlas --kernels takes)" >&2
	exit 2
}
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CACHE=${CACHE:-$OUTDIR/cache}
FORCE=${FORCE:-never,always,ptrace}
TIMEOUT=${TIMEOUT:-600}
ATLAS_ARGS=${ATLAS_ARGS:-}
FREEZE=${FREEZE:-1}
for k in "$@"; do
	case $k in
	*,*)
		echo "atlas-grow: KERNEL '$k' holds a comma (valid: one kernel per argument)" >&2
		exit 2
		;;
	esac
done
mkdir -p "$OUTDIR" "$CACHE" || exit 1

NB=$BIN
if [ "$FREEZE" = 1 ]; then
	NB=$OUTDIR/bin/numabench
	if [ ! -x "$NB" ]; then
		if ! { mkdir -p "$OUTDIR/bin/harness" && cp "$BIN" "$NB.tmp" &&
			cp -r "$ROOT/configs" "$OUTDIR/bin/" &&
			cp -r "$ROOT/harness/initramfs" "$OUTDIR/bin/harness/" && mv "$NB.tmp" "$NB"; }; then
			echo "atlas-grow: cannot freeze $BIN into $OUTDIR/bin" >&2
			exit 1
		fi
		echo "atlas-grow: froze $("$NB" --version 2>/dev/null | head -1) into $OUTDIR/bin" >&2
	fi
	# the frozen copy finds its configs and init.sh beside itself
	unset NUMABENCH_DATA NUMABENCH_CONFIGS
fi

[ -s "$OUTDIR/steps.tsv" ] || printf 'step\tkernel\texit\tbooted\twall_s\n' >"$OUTDIR/steps.tsv"
list=""
i=0
bad=0
for k in "$@"; do
	list="${list:+$list,}$k"
	i=$((i + 1))
	out=$OUTDIR/atlas-$i.json
	[ -s "$out" ] && continue # done before a restart
	echo "=== $(date -u +%H:%M:%S) step $i: + $k" >&2
	t0=$(date +%s)
	# shellcheck disable=SC2086 # ATLAS_ARGS is a list of options
	"$NB" atlas --kernels "$list" --force "$FORCE" --timeout "$TIMEOUT" --cache "$CACHE" \
		$ATLAS_ARGS -o "$out.tmp" 2>&1 | sed -u "s/^/[$i] /" >&2
	rc=${PIPESTATUS[0]}
	t1=$(date +%s)
	booted=-
	if [ -s "$out.tmp" ]; then
		mv "$out.tmp" "$out"
		booted=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["kernels_booted"])' \
			"$out" 2>/dev/null || echo -)
	fi
	printf '%s\t%s\t%s\t%s\t%s\n' "$i" "$k" "$rc" "$booted" "$((t1 - t0))" >>"$OUTDIR/steps.tsv"
	echo "=== $(date -u +%H:%M:%S) step $i done: exit $rc, kernels_booted $booted, $((t1 - t0)) s" >&2
	if [ "$booted" = - ]; then
		echo "atlas-grow: step $i wrote no atlas (exit $rc): stopping" >&2
		exit 1
	fi
	if [ "$booted" -gt 1 ]; then
		echo "atlas-grow: step $i booted $booted kernels, not one (was the binary rebuilt?)" >&2
		bad=1
	fi
	if [ -e "$OUTDIR/STOP" ]; then
		echo "atlas-grow: $OUTDIR/STOP: stopping after step $i" >&2
		break
	fi
done

last=$OUTDIR/atlas-$i.json
if ! { cp "$last" "$OUTDIR/atlas-all.json" &&
	"$NB" atlas-report "$OUTDIR/atlas-all.json" --format md -o "$OUTDIR/atlas-all.md" &&
	"$NB" atlas-report "$OUTDIR/atlas-all.json" --format csv -o "$OUTDIR/atlas-all-rows.csv"; }; then
	bad=1
fi
echo "atlas-grow: $i of $# kernels; $OUTDIR/atlas-all.json, .md, -rows.csv; steps in $OUTDIR/steps.tsv" >&2
exit $bad
