#!/bin/bash
# make bench: numabench against peers in one script, so ratios hold on a noisy machine.
# Goals: bandwidth (read, copy, triad) >= 1.0x likwid-bench's matching kernels and
# perf bench mem memcpy; latency at 1 GiB / 4 KiB pages within 3% of an independent
# multichase-method reference, with CV <= 2%; counter read cost against clock_gettime.
set -u
BIN=$(realpath "$1")
HERE=$(cd "$(dirname "$0")" && pwd)
T=$(mktemp -d /tmp/nbbench.XXXXXX)
trap 'rm -rf "$T"' EXIT
CPU=$(cut -d, -f1 <<<"$(cut -d- -f1 /sys/devices/system/node/node0/cpulist)")
NCPU=$(nproc)
SIZE_MB=${NB_BENCH_SIZE_MB:-768}

median() { python3 -c "import json,sys,statistics; print(statistics.median(json.load(sys.stdin)))"; }

echo "== bandwidth: numabench vs likwid-bench (same kernel, threads, working set ${SIZE_MB} MB)"
"$BIN" run bandwidth --set bandwidth.kernel=read,copy,triad --set bandwidth.threads=1,$NCPU \
	--set bandwidth.size=${SIZE_MB}M --nodes 0 -o "$T/bw.json" >/dev/null 2>&1
printf "%-8s %-8s %12s %12s %8s\n" kernel threads numabench likwid ratio
for pair in read:load copy:copy triad:stream; do
	k=${pair%%:*}
	lk=${pair##*:}
	for th in 1 $NCPU; do
		nb=$(python3 -c "
import json; d=json.load(open('$T/bw.json'))
c=[c for c in d['runs'][0]['cells'] if c['kernel']=='$k' and c['threads']==$th][0]
print(c['metrics']['bandwidth_gbs']['median'])")
		if command -v likwid-bench >/dev/null; then
			vals=()
			for r in 1 2 3; do
				v=$(likwid-bench -t "$lk" -w "N:${SIZE_MB}MB:$th" 2>/dev/null |
					awk '/^MByte\/s:/ {print $2/1000}')
				vals+=("${v:-0}")
			done
			lw=$(printf '%s\n' "${vals[@]}" | sort -g | sed -n 2p)
			printf "%-8s %-8s %10.2f GB/s %8.2f GB/s %7.2fx\n" "$k" "$th" "$nb" "$lw" \
				"$(python3 -c "print($nb/$lw if $lw else 0)")"
		else
			printf "%-8s %-8s %10.2f GB/s %12s %8s\n" "$k" "$th" "$nb" "n/a" "(install likwid)"
		fi
		[ "$k" = copy ] && [ "$th" = 1 ] && NB_COPY1=$nb
	done
done

echo "== copy: numabench (1 thread, bytes copied = half the copy traffic) vs perf bench mem memcpy"
if command -v perf >/dev/null; then
	pm=$(perf bench mem memcpy -s ${SIZE_MB}MB -l 5 2>/dev/null | awk '/GB\/sec/ {print $1; exit}')
	python3 -c "nb=$NB_COPY1/2; pm=float('${pm:-0}'); print(f'numabench {nb:.2f} GB/s copied, perf memcpy {pm:.2f} GB/s, ratio {nb/pm if pm else 0:.2f}x')"
fi

echo "== latency at 1 GiB, 4 KiB pages: numabench vs reference multichase-method chase"
cc -O2 -o "$T/chase_ref" "$HERE/chase_ref.c" -lm
"$BIN" run latency --set latency.size=1G --set latency.pages=4k --set latency.loads=8000000 \
	--repeat 10 --nodes 0 --cpus "$CPU" -o "$T/lat.json" >/dev/null 2>&1
ref=$("$T/chase_ref" $((1 << 30)) 8000000 10 "$CPU")
python3 - "$T/lat.json" "$ref" <<'PY'
import json, sys
d = json.load(open(sys.argv[1])); ref = json.loads(sys.argv[2])
m = d["runs"][0]["cells"][0]["metrics"]["latency_ns"]
r = m["median"] / ref["median_ns"]
print(f"numabench {m['median']:.2f} ns (CV {m['cv']:.2%}), reference {ref['median_ns']:.2f} ns "
      f"(CV {ref['cv']:.2%}), ratio {r:.3f} (goal 0.97..1.03), CV goal <= 2%: "
      f"{'met' if m['cv'] <= 0.02 else 'NOT met'}")
PY

echo "== counter read cost"
if [ -f "$HERE/../counters/bench.sh" ]; then bash "$HERE/../counters/bench.sh"; fi

echo "== quick suite wall time (goal < 60 s)"
s=$(date +%s.%N)
"$BIN" run quick -o "$T/q.json" >/dev/null 2>&1
python3 -c "print(f'quick: {$(date +%s.%N) - $s:.1f} s')"
