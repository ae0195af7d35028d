#!/bin/bash
# make bench: numabench beside its peers in one script, with ratios, so a user sees that
# numabench's figures are right. Usage: bash tests/bench/run.sh ./numabench
#
# Peers (each optional: a missing or failing one prints n/a and the reason):
#   bandwidth: likwid-bench (package likwid; tests load/copy/stream, SSE variants as numabench's
#     kernels) and stream_ref.c (an independent STREAM-method implementation, pthreads);
#   latency: chase_ref.c (an independent implementation of multichase's method), and multichase
#     itself where a user has it (NB_BENCH_MULTICHASE=PATH, or multichase on PATH).
# The tools run interleaved in rounds (A B C, B C A, ...; latency A B, B A, ...) so drift of a
# shared machine hits every tool alike; figures are medians of the pooled samples of all rounds,
# with their CV and robust CV (1.4826 MAD / median).
# Goals: bandwidth read/copy/triad, 1 thread and every cpu of node 0: numabench / peer within
# 0.95..1.05 (the median over the rounds of the ratio of the two tools' medians in that round,
# measured seconds apart: a paired design, as a shared host drifts by more than 5% between
# rounds), and no numabench sample above the best reference sample by more than noise;
# latency at 1 GiB, 4 KiB pages, 256 B stride: numabench / reference within 0.97..1.03, CV <= 2%;
# loaded's idle (zero-injection) point / latency, same parameters, same run: within 0.97..1.03.
# Environment (defaults in brackets), to shrink a run:
#   NB_BENCH_SIZE_MB [768] bandwidth working set; NB_BENCH_LAT_MB [1024] latency buffer;
#   NB_BENCH_LOADS [4000000] loads per latency sample; NB_BENCH_REPS [5] samples per invocation;
#   NB_BENCH_BW_ROUNDS [5]; NB_BENCH_LAT_ROUNDS [4] (256 B stride); NB_BENCH_LAT64_ROUNDS [2];
#   NB_BENCH_LOADED_MB [256] buffer of the loaded-vs-latency rounds; NB_BENCH_LOADED_ROUNDS [4];
#   NB_BENCH_TIMEOUT [300] seconds any one command may take; NB_BENCH_ONLY [bandwidth perf latency
#   loaded counters quick] the sections to run.
set -u
[ $# -ge 1 ] || { echo "usage: bash tests/bench/run.sh ./numabench" >&2; exit 2; }
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/nbbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
trap 'exit 130' INT TERM
D=$T/store
mkdir -p "$D"

SIZE_MB=${NB_BENCH_SIZE_MB:-768}
LAT_MB=${NB_BENCH_LAT_MB:-1024}
LOADS=${NB_BENCH_LOADS:-4000000}
REPS=${NB_BENCH_REPS:-5}
BW_ROUNDS=${NB_BENCH_BW_ROUNDS:-5}
LAT_ROUNDS=${NB_BENCH_LAT_ROUNDS:-4}
LAT64_ROUNDS=${NB_BENCH_LAT64_ROUNDS:-2}
LOADED_MB=${NB_BENCH_LOADED_MB:-256}
LOADED_ROUNDS=${NB_BENCH_LOADED_ROUNDS:-4}
TMO=${NB_BENCH_TIMEOUT:-300}
GROUP=262144 # TLB-locality group: multichase's 64 pages of 4 KiB

ONLY=" ${NB_BENCH_ONLY:-bandwidth perf latency loaded counters quick} "
want() { [[ $ONLY == *" $1 "* ]]; }
h() { python3 "$HERE/bench.py" "$@"; }
# Every external command runs under a timeout: the script never hangs.
tmo() { timeout -k 5 "$TMO" "$@"; }
# why_rc RC STDERR_FILE: a one-line reason for a failed command.
why_rc() {
	local last
	last=$(grep -v '^\s*$' "$2" 2>/dev/null | tail -1 | cut -c1-160)
	case $1 in
	124 | 137) echo "timed out after ${TMO} s" ;;
	*) echo "exit $1${last:+: $last}" ;;
	esac
}
secs() { python3 -c "import time; print(f'{time.time() - $1:.0f}')"; }

CPUS=$(h node0-cpus)
CPU=${CPUS%%,*}
NTH=$(tr ',' '\n' <<<"$CPUS" | wc -l)
THREADS=1
[ "$NTH" -gt 1 ] && THREADS="1,$NTH"
echo "$("$BIN" --version 2>/dev/null | head -1) on $(hostname): node 0 cpus $CPUS" \
	"(nproc $(nproc)); $REPS samples per invocation, timeout ${TMO} s per command"

# Peers are built here; a build failure leaves that peer n/a.
REF_CC=${CC:-cc}
CHASE=""
STREAM=""
if $REF_CC -O2 -o "$T/chase_ref" "$HERE/chase_ref.c" -lm 2>"$T/cc1.err"; then
	CHASE=$T/chase_ref
else
	CHASE_WHY="chase_ref.c does not build: $(head -1 "$T/cc1.err")"
fi
# STREAM-ref's vectors as wide as numabench's (NUMABENCH_VECTOR caps both): gcc's -march=native
# prefers 256-bit vectors on most AVX-512 cpus, which read a Xeon's triad 6% and copy 4% below
# its 512-bit figure; -mprefer-vector-width=512 where numabench uses AVX-512.
SR_ISA=()
case ${NUMABENCH_VECTOR:-auto} in
avx2) SR_ISA=(-mno-avx512f) ;;
sse2) SR_ISA=(-mno-avx512f -mno-avx2 -mno-avx) ;;
*) grep -qw avx512f /proc/cpuinfo && SR_ISA=(-mprefer-vector-width=512) ;;
esac
if $REF_CC -O3 -march=native "${SR_ISA[@]}" -fno-tree-loop-distribute-patterns -pthread -o "$T/stream_ref" \
	"$HERE/stream_ref.c" 2>"$T/cc2.err"; then
	STREAM=$T/stream_ref
else
	STREAM_WHY="stream_ref.c does not build: $(head -1 "$T/cc2.err")"
fi

# ---------------------------------------------------------------------------------------------
if want bandwidth; then
echo
echo "== bandwidth: numabench vs likwid-bench vs STREAM-ref: read, copy, triad; threads $THREADS;" \
	"working set ${SIZE_MB} MiB (all arrays together); $BW_ROUNDS interleaved rounds"
# likwid-bench: -w DOMAIN:SIZE:THREADS pins thread i to the i-th hwthread of DOMAIN (M0 = NUMA
# node 0, as numabench's --nodes 0); SIZE is all streams together, kB = 1000 B; MByte/s is 1e6
# B/s of the "bytes per element" its -l shows (load 8, copy 16, stream 24: STREAM counting, no
# write-allocate); -i fixes the sweeps per thread (about 8 GB in all, at least 10) instead of
# its own calibration, which runs for seconds.
LK=""
LK_DOM=M0
LK_ITERS=$(((8000 + SIZE_MB - 1) / SIZE_MB))
[ "$LK_ITERS" -lt 10 ] && LK_ITERS=10
LK_KB=$((SIZE_MB * 1048576 / 1000))
# numabench's kernels are AVX-512 where the cpu has AVX-512F, else AVX2, else SSE2 (the cell's
# `vector` says which; NUMABENCH_VECTOR caps it): likwid's variant of the same width matches
# them, else the next narrower one, else the scalar one.
case ${NUMABENCH_VECTOR:-auto} in
sse2) AVX=_sse ;;
avx2) AVX=$(grep -qw avx2 /proc/cpuinfo && echo _avx || echo _sse) ;;
*) AVX=$(grep -qw avx512f /proc/cpuinfo && echo _avx512 ||
	{ grep -qw avx2 /proc/cpuinfo && echo _avx || echo _sse; }) ;;
esac
declare -A LK_TEST=([read]=load$AVX [copy]=copy$AVX [triad]=stream$AVX)
if ! command -v likwid-bench >/dev/null; then
	LK_WHY="likwid-bench not installed (apt-get install likwid, or: make deps)"
else
	tests=$(tmo likwid-bench -a 2>&1)
	for k in read copy triad; do
		grep -q "^${LK_TEST[$k]} " <<<"$tests" || LK_TEST[$k]=${LK_TEST[$k]%_avx512}_avx
		grep -q "^${LK_TEST[$k]} " <<<"$tests" || LK_TEST[$k]=${LK_TEST[$k]%_avx}_sse
		grep -q "^${LK_TEST[$k]} " <<<"$tests" || LK_TEST[$k]=${LK_TEST[$k]%_sse}
	done
	tmo likwid-bench -p 2>/dev/null | grep -q 'Tag M0:' || LK_DOM=N
	if tmo likwid-bench -t "${LK_TEST[read]}" -i 10 -w "$LK_DOM:1MB:1" >"$T/lk.out" 2>&1 &&
		grep -q '^MByte/s:' "$T/lk.out"; then
		LK=likwid-bench
		echo "likwid-bench tests: read=${LK_TEST[read]} copy=${LK_TEST[copy]}" \
			"triad=${LK_TEST[triad]} (bytes per element:" \
			"$(for k in read copy triad; do likwid-bench -l "${LK_TEST[$k]}" 2>/dev/null |
				awk -v t="${LK_TEST[$k]}" '/^Bytes per element:/ {printf "%s %s, ", t, $4}'; done)no" \
			"write-allocate), -w $LK_DOM:${LK_KB}kB:T -i $LK_ITERS"
	else
		LK_WHY="likwid-bench cannot run here: $(why_rc $? "$T/lk.out")"
	fi
fi

# One point (kernel, thread count) per invocation of every tool, the tools of a point run back
# to back in a rotating order, the points in turn: the figures a ratio divides are seconds
# apart, not a whole tool's sweep apart, and no cell runs after another in the same process.
# Each invocation's median is also stored per round (KEY.TOOL.rounds), for the paired ratios.
bw_nb() {
	local k=$1 th=$2 r=$3 rc
	tmo "$BIN" run bandwidth --set "bandwidth.kernel=$k" --set "bandwidth.threads=$th" \
		--set "bandwidth.size=${SIZE_MB}M" --nodes 0 --repeat "$REPS" -o "$T/bw.json" \
		>/dev/null 2>"$T/bw.err"
	rc=$?
	# 3: a result is untrustworthy (the cell says why; its samples still count, with a note)
	if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
		h why "$D" "bw.$k.$th" nb "numabench: $(why_rc $rc "$T/bw.err")"
		return
	fi
	[ $rc -eq 3 ] && h note "$D" "numabench bandwidth $k $th thr exited 3 in round $r (a result is untrustworthy)"
	h nb-bw "$D" "$T/bw.json" "$k" "$th" "$r"
}

bw_lk() {
	local k=$1 th=$2 r=$3 v rc
	if [ -z "$LK" ]; then
		h why "$D" "bw.$k.$th" lk "$LK_WHY"
		return
	fi
	tmo likwid-bench -t "${LK_TEST[$k]}" -i "$LK_ITERS" -w "$LK_DOM:${LK_KB}kB:$th" \
		>"$T/lk.out" 2>&1
	rc=$?
	v=$(awk '/^MByte\/s:/ {print $2 / 1000}' "$T/lk.out")
	if [ $rc -eq 0 ] && [ -n "$v" ]; then
		h add-round "$D" "bw.$k.$th" lk "$r" "$v"
	else
		h why "$D" "bw.$k.$th" lk "likwid-bench: $(why_rc $rc "$T/lk.out")"
	fi
}

bw_sr() {
	local k=$1 th=$2 r=$3 out rc
	if [ -z "$STREAM" ]; then
		h why "$D" "bw.$k.$th" sr "$STREAM_WHY"
		return
	fi
	out=$(tmo "$STREAM" "$k" $((SIZE_MB << 20)) "$REPS" \
		"$(tr ',' '\n' <<<"$CPUS" | head -"$th" | paste -sd,)" 2>"$T/sr.err")
	rc=$?
	if [ $rc -eq 0 ]; then
		h ref-round "$D" "bw.$k.$th" sr "$r" "$out"
	else
		h why "$D" "bw.$k.$th" sr "stream_ref: $(why_rc $rc "$T/sr.err")"
	fi
}

t0=$(date +%s.%N)
order=(bw_nb bw_lk bw_sr)
for ((r = 1; r <= BW_ROUNDS; r++)); do
	p=0
	for k in read copy triad; do for th in ${THREADS//,/ }; do
		for ((i = 0; i < 3; i++)); do
			${order[(i + r + p - 1) % 3]} "$k" "$th" "$r"
		done
		p=$((p + 1))
	done; done
done
h bw-table "$D" "$THREADS" "likwid-bench"
echo "(bandwidth section: $(secs "$t0") s)"
fi

if want perf && want bandwidth; then
	echo "-- informational: numabench copy, 1 thread, bytes copied (half the STREAM copy bytes) vs" \
		"perf bench mem memcpy (glibc memcpy: non-temporal stores for large copies, another kernel)"
	pm=$(tmo perf bench mem memcpy -s "${SIZE_MB}MB" -l 5 2>/dev/null | awk '/GB\/sec/ {print $1; exit}')
	python3 - "$D" "${pm:-}" <<'PY'
import os, statistics, sys
try:
    nb = statistics.median(float(x) for x in open(os.path.join(sys.argv[1], "bw.copy.1.nb")).read().split()) / 2
except (OSError, ValueError):
    nb = None
pm = float(sys.argv[2]) if sys.argv[2] else None
f = lambda x: f"{x:.2f} GB/s" if x else "n/a"
print(f"numabench {f(nb)} copied, perf memcpy {f(pm) if pm else 'n/a (perf missing or failed)'}"
      + (f", ratio {nb / pm:.2f}" if nb and pm else ""))
PY
fi

# ---------------------------------------------------------------------------------------------
if want latency; then
echo
echo "== latency: numabench vs reference chase (multichase method), ${LAT_MB} MiB, 4 KiB pages," \
	"cpu $CPU, node 0, TLB groups $((GROUP >> 10)) KiB, $LOADS loads per sample; interleaved rounds"
"$BIN" list --json >"$T/list.json" 2>/dev/null
HAS_STRIDE=0
h has-param "$T/list.json" latency stride && HAS_STRIDE=1
NB_GROUP=()
h has-param "$T/list.json" latency tlb_group && NB_GROUP=(--set "latency.tlb_group=$GROUP")
if [ $HAS_STRIDE = 0 ]; then
	echo "note: this numabench has no latency.stride parameter (numabench list --json): its chain" \
		"visits every 64 B line, so its figure is compared at 64 B only and the 256 B row is n/a"
fi

lat_nb() {
	local s=$1 r=$2 rc st=()
	if [ $HAS_STRIDE = 1 ]; then
		st=(--set "latency.stride=$s")
	elif [ "$s" != 64 ]; then
		h why "$D" "lat.$s" nb "this numabench has no latency.stride parameter (every 64 B line)"
		return
	fi
	tmo "$BIN" run latency --set "latency.size=${LAT_MB}M" --set latency.pages=4k \
		--set "latency.loads=$LOADS" "${st[@]}" "${NB_GROUP[@]}" --repeat "$REPS" --nodes 0 \
		--cpus "$CPU" -o "$T/lat.json" >/dev/null 2>"$T/lat.err"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
		h why "$D" "lat.$s" nb "numabench: $(why_rc $rc "$T/lat.err")"
		return
	fi
	h nb-lat "$D" "$T/lat.json" $((LAT_MB << 20)) "$s" "$r"
}

lat_ref() {
	local s=$1 out rc
	if [ -z "$CHASE" ]; then
		h why "$D" "lat.$s" ref "$CHASE_WHY"
		return
	fi
	out=$(tmo "$CHASE" $((LAT_MB << 20)) "$LOADS" "$REPS" "$CPU" "$s" "$GROUP" 2>"$T/ref.err")
	rc=$?
	if [ $rc -eq 0 ]; then
		h ref "$D" "lat.$s" ref "$out"
	else
		h why "$D" "lat.$s" ref "chase_ref: $(why_rc $rc "$T/ref.err")"
	fi
}

# multichase itself, where a user has it (not a Debian package: NB_BENCH_MULTICHASE=PATH or on
# PATH): one figure per round, its -a mean of REPS 0.5 s samples (its default prints the best).
MC=${NB_BENCH_MULTICHASE:-$(command -v multichase || true)}
lat_mc() {
	local out rc
	[ -n "$MC" ] || return 0
	out=$(tmo taskset -c "$CPU" "$MC" -m "${LAT_MB}m" -s "$1" -T $((GROUP >> 10))k -n "$REPS" \
		-c simple -a 2>"$T/mc.err")
	rc=$?
	out=${out// /}
	if [ $rc -eq 0 ] && [[ $out =~ ^[0-9.]+$ ]]; then
		h add "$D" "lat.$1" mc "$out"
	else
		h why "$D" "lat.$1" mc "multichase: $(why_rc $rc "$T/mc.err")"
	fi
}

t0=$(date +%s.%N)
for pass in "256 $LAT_ROUNDS" "64 $LAT64_ROUNDS"; do
	read -r s n <<<"$pass"
	for ((r = 1; r <= n; r++)); do
		if ((r % 2)); then
			lat_nb "$s" "$r"
			lat_ref "$s"
			lat_mc "$s"
		else
			lat_mc "$s"
			lat_ref "$s"
			lat_nb "$s" "$r"
		fi
	done
done
h lat-table "$D" 256,64
echo "(latency section: $(secs "$t0") s)"
fi

# ---------------------------------------------------------------------------------------------
# loaded's zero-injection (idle) point must agree with latency within 3% (issue 14). Both benches
# run in one invocation with matching parameters (size, 4 KiB pages, 256 B stride, TLB groups,
# loads, cpu $CPU: so loaded has no injector cpu and measures its idle point only); the order
# alternates (latency loaded, loaded latency, ...) so drift hits both alike. Each invocation also
# records its own comparison (vs_latency in the loaded cells).
if want loaded; then
echo
echo "== loaded idle point vs latency: ${LOADED_MB} MiB, 4 KiB pages, 256 B stride, cpu $CPU," \
	"node 0, $LOADS loads per sample; $LOADED_ROUNDS interleaved rounds"
t0=$(date +%s.%N)
for ((r = 1; r <= LOADED_ROUNDS; r++)); do
	order=(latency loaded)
	((r % 2)) || order=(loaded latency)
	tmo "$BIN" run "${order[@]}" --set "latency.size=${LOADED_MB}M" --set latency.pages=4k \
		--set latency.stride=256 --set "latency.tlb_group=$GROUP" --set "latency.loads=$LOADS" \
		--set "loaded.size=${LOADED_MB}M" --set loaded.stride=256 \
		--set "loaded.tlb_group=$GROUP" --set "loaded.loads=$LOADS" --set loaded.mix=read \
		--set loaded.delay=0 --set loaded.inj_size=1M --repeat "$REPS" --nodes 0 \
		--cpus "$CPU" -o "$T/loaded.json" >/dev/null 2>"$T/loaded.err"
	rc=$?
	if [ $rc -ne 0 ] && [ $rc -ne 3 ]; then
		h why "$D" loaded idle "numabench: $(why_rc $rc "$T/loaded.err")"
		h why "$D" loaded lat "numabench: $(why_rc $rc "$T/loaded.err")"
		continue
	fi
	h nb-loaded "$D" "$T/loaded.json" $((LOADED_MB << 20)) 256 "$r"
done
h loaded-table "$D"
echo "(loaded section: $(secs "$t0") s)"
fi
h notes "$D"

# ---------------------------------------------------------------------------------------------
if want counters && [ -f "$HERE/../counters/bench.sh" ]; then
	echo
	echo "== counter read cost"
	tmo bash "$HERE/../counters/bench.sh" || echo "counter read cost: n/a (exit $?)"
fi

if want quick; then
	echo
	echo "== quick suite wall time (goal < 60 s)"
	s=$(date +%s.%N)
	tmo "$BIN" run quick -o "$T/q.json" >/dev/null 2>&1
	rc=$?
	echo "quick: $(secs "$s") s (exit $rc)"
fi
